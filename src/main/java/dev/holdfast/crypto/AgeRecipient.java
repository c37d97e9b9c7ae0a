package dev.holdfast.crypto;

import com.exceptionfactory.jagged.FileKey;
import com.exceptionfactory.jagged.RecipientStanza;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * An age X25519 recipient ({@code age1…}, a bech32 public key) that archives are encrypted to, and its fingerprint.
 *
 * <p>The catalog and manifest record the fingerprint, not the key: age headers deliberately do not say whom a file
 * is encrypted to, and anyone who may read the catalog (the viewer role) would otherwise learn the public keys. A
 * holder of a key can still match it ({@link #fingerprint()}), and a fingerprint is short enough to show in a list.
 */
public final class AgeRecipient {
    private final String text;
    private final RecipientStanzaWriter writer;

    private AgeRecipient(String text, RecipientStanzaWriter writer) {
        this.text = text;
        this.writer = writer;
    }

    /**
     * Parses one recipient; {@code where} names it in the error ("recipient 2 of holdfast.encryption.recipients").
     * Public keys are not secret, but the message does not repeat the text either: a secret key pasted into the
     * wrong setting must not end up in a log.
     */
    public static AgeRecipient parse(String recipient, String where) throws AgeException {
        String s = recipient == null ? "" : recipient.strip();
        if (!s.toLowerCase(Locale.ROOT).startsWith("age1")) {
            throw new AgeException(where + " is not an age X25519 recipient: it must start with age1"
                    + (s.toUpperCase(Locale.ROOT).startsWith("AGE-SECRET-KEY-")
                            ? " (this is a secret identity," + " which belongs in holdfast.encryption.identities-file)"
                            : ""));
        }
        try {
            return new AgeRecipient(
                    s.toLowerCase(Locale.ROOT), X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(s));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new AgeException(where + " is not a valid age X25519 recipient (bech32 age1… of a 32-byte key)");
        }
    }

    /**
     * Reads a recipients file: one recipient per line, blank lines and {@code #} comments ignored (the format of
     * {@code age -R}).
     */
    public static List<AgeRecipient> readFile(Path file, String key) throws AgeException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AgeException(
                    key + " (" + file + ") cannot be read: " + e.getClass().getSimpleName());
        }
        List<AgeRecipient> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            out.add(parse(line, "line " + (i + 1) + " of " + key + " (" + file + ")"));
        }
        return out;
    }

    /** The recipient as configured, lower case ({@code age1…}). */
    public String text() {
        return text;
    }

    /**
     * First 16 hex digits (64 bits) of the SHA-256 of the lower-case recipient text: {@code printf %s age1… |
     * sha256sum | cut -c1-16}.
     */
    public String fingerprint() {
        return fingerprint(text);
    }

    /** {@link #fingerprint()} of a recipient's text. */
    public static String fingerprint(String recipient) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(recipient.strip().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** Wraps a file key for this recipient: the stanzas to put into the header. */
    List<RecipientStanza> wrap(byte[] fileKey) throws AgeException {
        try {
            List<RecipientStanza> out = new ArrayList<>();
            writer.getRecipientStanzas(new FileKey(fileKey)).forEach(out::add);
            return out;
        } catch (GeneralSecurityException e) {
            throw new AgeException("wrapping the file key for recipient " + fingerprint() + " failed", e);
        }
    }

    @Override
    public String toString() {
        return "age recipient " + fingerprint();
    }
}
