package dev.holdfast.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holdfast's age code against the {@code age} command line tool, both ways, at the sizes where chunking has edges
 * (empty, one byte, exactly one and two chunks, one byte more), plus what any damage must do: fail.
 */
class AgeInteropTest {
    static final int CHUNK = 64 * 1024;
    // 9 chunks and a bit: more chunks than the encrypting stream seals at once, so its buffers are reused.
    static final int[] SIZES = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 12_345, 9 * CHUNK + 7};

    @TempDir
    static Path dir;

    static AgeCli.KeyPair alice;
    static AgeCli.KeyPair escrow;
    static AgeCli.KeyPair stranger;

    @BeforeAll
    static void keys() throws Exception {
        alice = AgeCli.keygen(dir.resolve("alice.txt"));
        escrow = AgeCli.keygen(dir.resolve("escrow.txt"));
        stranger = AgeCli.keygen(dir.resolve("stranger.txt"));
    }

    static byte[] data(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    static byte[] encrypt(byte[] plain, AgeCli.KeyPair... to) throws IOException {
        List<AgeRecipient> rs = new ArrayList<>();
        for (AgeCli.KeyPair k : to) {
            rs.add(AgeRecipient.parse(k.recipient(), "test recipient"));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (AgeEncryptingOutputStream enc = new AgeEncryptingOutputStream(out, rs)) {
            // uneven writes, so chunk boundaries fall inside them
            for (int i = 0; i < plain.length; ) {
                int n = Math.min(plain.length - i, 1 + (i % 70_001));
                enc.write(plain, i, n);
                i += n;
            }
        }
        return out.toByteArray();
    }

    static AgeIdentities identities(AgeCli.KeyPair k) throws AgeException {
        return AgeIdentities.readFile(k.identityFile(), "test identities");
    }

    static AgeSeekableReader seekable(byte[] stored, AgeKeys keys) throws IOException {
        return AgeSeekableReader.open(
                new AgeSeekableReader.Ciphertext() {
                    @Override
                    public long size() {
                        return stored.length;
                    }

                    @Override
                    public InputStream open(long offset, long length) {
                        return new ByteArrayInputStream(stored, (int) offset, (int) length);
                    }
                },
                keys);
    }

    static byte[] readSequential(byte[] stored, AgeKeys keys) throws IOException {
        try (InputStream in = new AgeDecryptingInputStream(new ByteArrayInputStream(stored), keys)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theAgeCliDecryptsWhatHoldfastEncryptsForEachRecipient() throws Exception {
        for (int size : SIZES) {
            byte[] plain = data(size);
            Path file = dir.resolve("java-" + size + ".age");
            Files.write(file, encrypt(plain, alice, escrow));
            for (AgeCli.KeyPair k : List.of(alice, escrow)) {
                AgeCli.Result r =
                        AgeCli.run(dir, "age", "-d", "-i", k.identityFile().toString(), file.toString());
                assertThat(r.exit()).as("size %d: %s", size, r.err()).isZero();
                assertThat(r.out()).as("size %d", size).isEqualTo(plain);
            }
            AgeCli.Result wrong =
                    AgeCli.run(dir, "age", "-d", "-i", stranger.identityFile().toString(), file.toString());
            assertThat(wrong.exit()).as("another key opens nothing").isNotZero();
        }
    }

    @Test
    void holdfastReadsWhatTheAgeCliEncryptsWholeAndByRange() throws Exception {
        Random random = new Random(7);
        for (int size : SIZES) {
            byte[] plain = data(size);
            Path in = dir.resolve("plain-" + size);
            Files.write(in, plain);
            Path out = dir.resolve("cli-" + size + ".age");
            AgeCli.Result r = AgeCli.run(
                    dir, "age", "-r", alice.recipient(), "-r", escrow.recipient(), "-o", out.toString(), in.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            byte[] stored = Files.readAllBytes(out);

            assertThat(readSequential(stored, identities(escrow)))
                    .as("size %d", size)
                    .isEqualTo(plain);
            AgeSeekableReader reader = seekable(stored, identities(alice));
            assertThat(reader.size()).isEqualTo(size);
            try (InputStream all = reader.open(0, size)) {
                assertThat(all.readAllBytes()).isEqualTo(plain);
            }
            for (int i = 0; i < 40 && size > 0; i++) {
                int from = random.nextInt(size);
                int len = random.nextInt(size - from + 1);
                try (InputStream part = reader.open(from, len)) {
                    assertThat(part.readAllBytes())
                            .as("size %d range %d+%d", size, from, len)
                            .isEqualTo(Arrays.copyOfRange(plain, from, from + len));
                }
            }
            if (size > 2 * CHUNK) {
                // skip jumps chunks without reading them and lands where it says
                try (InputStream s = reader.open(10, size - 10)) {
                    assertThat(s.skip(2L * CHUNK)).isEqualTo(2L * CHUNK);
                    assertThat(s.readNBytes(100)).isEqualTo(Arrays.copyOfRange(plain, 2 * CHUNK + 10, 2 * CHUNK + 110));
                }
            }
            assertThatThrownBy(() -> seekable(stored, identities(stranger)))
                    .isInstanceOf(AgeException.class)
                    .hasMessageContaining("none of the 1 configured age identities");
        }
    }

    @Test
    void everyFlippedByteAndEveryCutIsRefusedByBothReaders() throws Exception {
        byte[] plain = data(3 * CHUNK + 500);
        byte[] stored = encrypt(plain, alice);
        AgeIdentities keys = identities(alice);
        int headerEnd = indexOf(stored, "\n---".getBytes()) + 1;
        int macEnd = indexOf(stored, headerEnd, (byte) '\n');
        int payload = macEnd + 1 + 16;
        int sealed = CHUNK + 16;
        List<Integer> positions = List.of(
                0, // version line
                30, // stanza
                headerEnd + 5, // MAC
                macEnd + 3, // payload nonce
                payload + 10, // first chunk
                payload + sealed + 1000, // a middle chunk
                payload + 2 * sealed + sealed - 1, // tag of the chunk before the last
                stored.length - 20, // last chunk
                stored.length - 1); // last tag byte
        for (int at : positions) {
            byte[] damaged = stored.clone();
            damaged[at] ^= 0x01;
            assertThatThrownBy(() -> readSequential(damaged, keys))
                    .as("flip at %d", at)
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> {
                        AgeSeekableReader r = seekable(damaged, keys);
                        try (InputStream in = r.open(0, r.size())) {
                            in.readAllBytes();
                        }
                    })
                    .as("flip at %d", at)
                    .isInstanceOf(IOException.class);
        }
        List<Integer> cuts =
                List.of(payload - 1, payload, payload + 100, payload + sealed, payload + 3 * sealed, stored.length - 1);
        for (int cut : cuts) {
            byte[] truncated = Arrays.copyOf(stored, cut);
            assertThatThrownBy(() -> readSequential(truncated, keys))
                    .as("cut at %d", cut)
                    .isInstanceOf(AgeException.class);
            assertThatThrownBy(() -> seekable(truncated, keys))
                    .as("cut at %d", cut)
                    .isInstanceOf(AgeException.class);
        }
        byte[] longer = Arrays.copyOf(stored, stored.length + 1);
        assertThatThrownBy(() -> readSequential(longer, keys)).isInstanceOf(AgeException.class);
        assertThatThrownBy(() -> seekable(longer, keys)).isInstanceOf(AgeException.class);

        // two middle chunks swapped: each one's counter no longer matches its position
        byte[] swapped = stored.clone();
        System.arraycopy(stored, payload, swapped, payload + sealed, sealed);
        System.arraycopy(stored, payload + sealed, swapped, payload, sealed);
        assertThatThrownBy(() -> readSequential(swapped, keys)).isInstanceOf(AgeException.class);
        AgeSeekableReader r = seekable(swapped, keys); // the last chunk is fine
        assertThatThrownBy(() -> r.open(CHUNK + 5, 10).readAllBytes())
                .isInstanceOf(AgeException.class)
                .hasMessageContaining("chunk 1 failed authentication");

        // the last chunk dropped at a boundary: the new last one was not sealed as last
        byte[] dropped = Arrays.copyOf(stored, payload + 3 * sealed);
        assertThatThrownBy(() -> seekable(dropped, keys)).hasMessageContaining("chunk 2 (the last) failed");
    }

    @Test
    void keysThatDoNotParseAreRefusedWithoutBeingRepeated() throws Exception {
        assertThatThrownBy(
                        () -> AgeRecipient.parse("age1notavalidkey", "recipient 1 of holdfast.encryption.recipients"))
                .hasMessage("recipient 1 of holdfast.encryption.recipients is not a valid age X25519 recipient"
                        + " (bech32 age1… of a 32-byte key)");
        String secret = Files.readAllLines(alice.identityFile()).stream()
                .filter(l -> l.startsWith("AGE-SECRET-KEY-1"))
                .findFirst()
                .orElseThrow();
        assertThatThrownBy(() -> AgeRecipient.parse(secret, "recipient 2 of holdfast.encryption.recipients"))
                .hasMessageContaining("this is a secret identity")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret.substring(16)));

        Path bad = dir.resolve("bad-identities.txt");
        Files.writeString(bad, "# a comment\n" + secret.substring(0, secret.length() - 3) + "QQQ\n");
        assertThatThrownBy(() -> AgeIdentities.readFile(bad, "holdfast.encryption.identities-file"))
                .hasMessageContaining("line 2 of holdfast.encryption.identities-file")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret.substring(16, 40)));
        Path empty = dir.resolve("empty-identities.txt");
        Files.writeString(empty, "# nothing here\n\n");
        assertThatThrownBy(() -> AgeIdentities.readFile(empty, "holdfast.encryption.identities-file"))
                .hasMessageContaining("holds no age identity");
        assertThatThrownBy(() -> AgeIdentities.readFile(dir.resolve("missing"), "holdfast.encryption.identities-file"))
                .hasMessageContaining("cannot be read");
        assertThat(identities(alice).toString()).isEqualTo("1 age identities");

        Path recipients = dir.resolve("recipients.txt");
        Files.writeString(recipients, "# team\n" + alice.recipient() + "\n\n# escrow\n" + escrow.recipient() + "\n");
        assertThat(AgeRecipient.readFile(recipients, "holdfast.encryption.recipients-file"))
                .extracting(AgeRecipient::text)
                .containsExactly(alice.recipient(), escrow.recipient());
        AgeCli.Result sum = AgeCli.run(dir, "sh", "-c", "printf %s \"$0\" | sha256sum | cut -c1-16", alice.recipient());
        assertThat(AgeRecipient.parse(alice.recipient(), "r").fingerprint())
                .as("the documented shell line gives the fingerprint")
                .isEqualTo(new String(sum.out()).strip());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static int indexOf(byte[] hay, int from, byte b) {
        for (int i = from; i < hay.length; i++) {
            if (hay[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
