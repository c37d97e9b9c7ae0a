package dev.holdfast.crypto;

import com.exceptionfactory.jagged.RecipientStanza;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The age header: version line, one stanza per recipient, {@code ---} and the HMAC-SHA-256 of everything before it
 * under HKDF(file key, "header"). Parsing is strict (canonical base64, 64-column body lines, bounded size), because
 * a reader that accepts more than the spec gives an attacker room.
 */
final class AgeHeader {
    static final String VERSION_LINE = "age-encryption.org/v1";
    static final byte[] MAGIC = (VERSION_LINE + "\n").getBytes(StandardCharsets.US_ASCII);
    /** Largest header accepted: about 400 X25519 recipients; anything longer is damage or hostile. */
    static final int MAX_HEADER = 64 * 1024;

    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    final List<RecipientStanza> stanzas;
    /** The bytes the MAC covers: from the version line up to and including {@code ---}. */
    private final byte[] macInput;

    private final byte[] mac;
    /** Bytes of the whole header, through the newline after the MAC. */
    final int length;

    private AgeHeader(List<RecipientStanza> stanzas, byte[] macInput, byte[] mac, int length) {
        this.stanzas = stanzas;
        this.macInput = macInput;
        this.mac = mac;
        this.length = length;
    }

    record Stanza(String type, List<String> arguments, byte[] body) implements RecipientStanza {
        @Override
        public String getType() {
            return type;
        }

        @Override
        public List<String> getArguments() {
            return arguments;
        }

        @Override
        public byte[] getBody() {
            return body.clone();
        }
    }

    /** Writes a header for these stanzas, authenticated with the file key. */
    static void write(OutputStream out, List<RecipientStanza> stanzas, byte[] fileKey) throws IOException {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.writeBytes(MAGIC);
        for (RecipientStanza s : stanzas) {
            StringBuilder line = new StringBuilder("-> ").append(s.getType());
            for (String a : s.getArguments()) {
                line.append(' ').append(a);
            }
            line.append('\n');
            String body = B64.encodeToString(s.getBody());
            for (int i = 0; i < body.length(); i += 64) {
                line.append(body, i, Math.min(body.length(), i + 64)).append('\n');
            }
            if (body.length() % 64 == 0) {
                line.append('\n'); // the last body line is always shorter than 64 columns, so it may be empty
            }
            h.writeBytes(line.toString().getBytes(StandardCharsets.US_ASCII));
        }
        h.writeBytes("---".getBytes(StandardCharsets.US_ASCII));
        byte[] mac = Hkdf.hmac(Hkdf.derive(new byte[0], fileKey, "header"), h.toByteArray());
        h.writeBytes((" " + B64.encodeToString(mac) + "\n").getBytes(StandardCharsets.US_ASCII));
        h.writeTo(out);
    }

    /** Reads a header from {@code in}, consuming exactly its bytes (callers buffer {@code in}). */
    static AgeHeader read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        String first = line(in, all);
        if (!VERSION_LINE.equals(first)) {
            throw new AgeException("not an age v1 file (the first line is not " + VERSION_LINE + ")");
        }
        List<RecipientStanza> stanzas = new ArrayList<>();
        String l = line(in, all);
        while (l.startsWith("-> ")) {
            List<String> args = List.of(l.substring(3).split(" ", -1));
            for (String a : args) {
                if (a.isEmpty() || !a.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
                    throw new AgeException("damaged age header: malformed stanza line");
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String b = line(in, all);
                if (b.length() > 64) {
                    throw new AgeException("damaged age header: stanza body line longer than 64 columns");
                }
                body.writeBytes(b.getBytes(StandardCharsets.US_ASCII));
                if (b.length() < 64) {
                    break;
                }
            }
            stanzas.add(new Stanza(args.get(0), List.copyOf(args.subList(1, args.size())), decode(body.toString())));
            l = line(in, all);
        }
        if (!l.startsWith("--- ")) {
            throw new AgeException("damaged age header: expected a stanza or the --- line");
        }
        if (stanzas.isEmpty()) {
            throw new AgeException("damaged age header: no recipient stanza");
        }
        byte[] mac = decode(l.substring(4));
        if (mac.length != 32) {
            throw new AgeException("damaged age header: the MAC is not 32 bytes");
        }
        byte[] bytes = all.toByteArray();
        int macInputLength = bytes.length - 1 - (l.length() - 3); // up to and including "---"
        return new AgeHeader(List.copyOf(stanzas), Arrays.copyOf(bytes, macInputLength), mac, bytes.length);
    }

    /** Checks the MAC with the file key; a wrong key or any changed header byte fails here. */
    void checkMac(byte[] fileKey) throws AgeException {
        byte[] expected = Hkdf.hmac(Hkdf.derive(new byte[0], fileKey, "header"), macInput);
        if (!MessageDigest.isEqual(expected, mac)) {
            throw new AgeException("the age header MAC does not match: the header is damaged or the file key wrong");
        }
    }

    private static byte[] decode(String b64) throws AgeException {
        try {
            byte[] d = B64D.decode(b64);
            if (b64.contains("=") || !B64.encodeToString(d).equals(b64)) {
                throw new AgeException("damaged age header: non-canonical base64");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new AgeException("damaged age header: invalid base64");
        }
    }

    private static String line(InputStream in, ByteArrayOutputStream all) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new AgeException("truncated age header");
            }
            all.write(c);
            if (all.size() > MAX_HEADER) {
                throw new AgeException("age header larger than " + MAX_HEADER + " bytes");
            }
            if (c == '\n') {
                return sb.toString();
            }
            if (c < 0x20 || c > 0x7e) {
                throw new AgeException("damaged age header: a byte outside printable ASCII");
            }
            sb.append((char) c);
        }
    }
}
