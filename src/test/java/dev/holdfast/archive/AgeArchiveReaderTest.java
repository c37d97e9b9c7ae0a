package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.crypto.AgeCli;
import dev.holdfast.crypto.AgeException;
import dev.holdfast.crypto.AgeIdentities;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Holdfast archive encrypted by the {@code age} CLI reads through {@link EncryptedArchives} like the plain one:
 * every entry, random ranges, a full verification; with the identities of a rotation (the old key beside the new)
 * and with the plain archive passing through untouched.
 */
class AgeArchiveReaderTest {
    @TempDir
    Path dir;

    @Test
    void anArchiveTheAgeCliEncryptedReadsEntryByEntryAndByRange() throws Exception {
        Path plain = dir.resolve("backup.tar");
        byte[] big = TestData.bytes(21, 700_000, 60);
        byte[] raw = TestData.bytes(22, 300_000, 0);
        String zName = EntryNames.tableData("main", "public", "orders", Codec.ZSTD);
        String mName = EntryNames.mediaFile("uploads", "2024/photo.raw", Codec.NONE);
        try (OutputStream out = Files.newOutputStream(plain);
                ArchiveWriter w = new ArchiveWriter(out, ArchiveWriter.Options.defaults(dir, 1L << 30))) {
            w.addEntry(zName, EntryInfo.KIND_TABLE_DATA, Codec.ZSTD, new ByteArrayInputStream(big));
            w.addEntry(mName, EntryInfo.KIND_MEDIA_FILE, Codec.NONE, new ByteArrayInputStream(raw));
            w.finish(Manifest.of("b", "n", "full", Instant.now()));
        }
        AgeCli.KeyPair old = AgeCli.keygen(dir.resolve("old.txt"));
        AgeCli.KeyPair current = AgeCli.keygen(dir.resolve("current.txt"));
        Path encrypted = dir.resolve("backup.tar.age");
        AgeCli.Result r = AgeCli.run(dir, "age", "-r", old.recipient(), "-o", encrypted.toString(), plain.toString());
        assertThat(r.exit()).as(r.err()).isZero();

        // Rotation: the identities file holds the new key and the old one; either opens what it was used for.
        Path identities = dir.resolve("identities.txt");
        Files.writeString(
                identities,
                "# current\n" + Files.readString(current.identityFile()) + "# retired\n"
                        + Files.readString(old.identityFile()));
        AgeIdentities keys = AgeIdentities.readFile(identities, "holdfast.encryption.identities-file");
        ArchiveSource source = EncryptedArchives.plaintext(ArchiveSource.of(encrypted), keys);
        assertThat(EncryptedArchives.isEncrypted(ArchiveSource.of(encrypted))).isTrue();
        assertThat(source.size()).isEqualTo(Files.size(plain));

        ArchiveReader reader = ArchiveReader.open(source);
        assertThat(reader.entryNames()).containsExactly(zName, mName, EntryNames.MANIFEST, EntryNames.MANIFEST_SHA256);
        try (InputStream in = reader.openEntry(zName)) {
            assertThat(in.readAllBytes()).isEqualTo(big);
        }
        try (InputStream in = reader.openEntry(mName)) {
            assertThat(in.readAllBytes()).isEqualTo(raw);
        }
        reader.checkStored(zName);
        assertThat(reader.verify().ok()).isTrue();

        byte[] tar = Files.readAllBytes(plain);
        Random random = new Random(3);
        for (int i = 0; i < 50; i++) {
            int from = random.nextInt(tar.length);
            int len = random.nextInt(Math.min(300_000, tar.length - from) + 1);
            try (InputStream in = source.open(from, len)) {
                assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(tar, from, from + len));
            }
        }
        try (InputStream stream = EncryptedArchives.plaintext(Files.newInputStream(encrypted), keys)) {
            assertThat(ArchiveReader.verify(stream).ok())
                    .as("the one-pass reader")
                    .isTrue();
        }

        // The plain archive is read as it is, with or without identities.
        assertThat(EncryptedArchives.plaintext(ArchiveSource.of(plain), AgeIdentities.none())
                        .size())
                .isEqualTo(tar.length);
        assertThat(ArchiveReader.verify(EncryptedArchives.plaintext(Files.newInputStream(plain), AgeIdentities.none()))
                        .ok())
                .isTrue();
        // Without an identity the encrypted one is refused, naming the setting.
        assertThatThrownBy(() -> EncryptedArchives.plaintext(ArchiveSource.of(encrypted), AgeIdentities.none()))
                .isInstanceOf(AgeException.class)
                .hasMessageContaining("holdfast.encryption.identities-file");
    }
}
