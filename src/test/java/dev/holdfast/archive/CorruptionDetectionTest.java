package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.VerificationReport.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damage anywhere in an archive is found and named; run again with the compressed manifest by a subclass. */
class CorruptionDetectionTest {
    private static final String TABLE = "databases/main/data/public.orders.copy.zst";
    private static final String LONG = "media/uploads/files/" + "very-long-directory-name/".repeat(6) + "photo.jpg";

    @TempDir
    Path dir;

    Path archive;
    byte[] pristine;
    Manifest manifest;
    ArchiveSummary summary;

    @BeforeEach
    void write() throws IOException {
        archive = dir.resolve("a.tar");
        try (OutputStream out = Files.newOutputStream(archive);
                ArchiveWriter w = new ArchiveWriter(out, ArchiveWriter.Options.defaults(dir, 1L << 30))) {
            w.addEntry(
                    "databases/main/schema.dump",
                    EntryInfo.KIND_SCHEMA,
                    Codec.NONE,
                    new ByteArrayInputStream(TestData.bytes(1, 5000, 100)));
            w.addEntry(TABLE, EntryInfo.KIND_TABLE_DATA, Codec.ZSTD, TestData.stream(2, 200_000, 60));
            w.addEntry(
                    "databases/main/data/public.items.copy.gz",
                    EntryInfo.KIND_TABLE_DATA,
                    Codec.GZIP,
                    TestData.stream(3, 100_000, 60));
            w.addEntry(LONG, EntryInfo.KIND_MEDIA_FILE, Codec.NONE, TestData.stream(4, 3000, 0));
            summary = w.finish(Manifest.of("b", "n", "full", Instant.now()), manifestCodec());
            manifest = summary.manifest();
        }
        pristine = Files.readAllBytes(archive);
        assertThat(ArchiveReader.verify(archive).ok()).isTrue();
    }

    /** How the manifest is stored: as is here, compressed in {@link CompressedManifestCorruptionTest}. */
    Codec manifestCodec() {
        return Codec.NONE;
    }

    /** Where the manifest's data starts: right after its (short-named, single) tar header. */
    int manifestData() {
        return indexOf(pristine, (EntryNames.manifest(manifestCodec()) + "\0").getBytes(StandardCharsets.US_ASCII))
                + 512;
    }

    private VerificationReport flip(long position) throws IOException {
        byte[] b = pristine.clone();
        b[(int) position] ^= (byte) 0xFF;
        Files.write(archive, b);
        return ArchiveReader.verify(archive);
    }

    private long headerOf(String name) {
        // The ustar header sits right before the data (the pax header, if any, before that).
        return manifest.entry(name).offset() - 512;
    }

    @Test
    void aFlippedByteInsideCompressedDataIsNamed() throws IOException {
        EntryInfo e = manifest.entry(TABLE);
        for (long p : new long[] {e.offset(), e.offset() + e.storedSize() / 2, e.offset() + e.storedSize() - 1}) {
            VerificationReport r = flip(p);
            assertThat(r.ok()).isFalse();
            assertThat(r.failures()).anySatisfy(f -> {
                assertThat(f.entry()).isEqualTo(TABLE);
                assertThat(f.reason()).isIn(Reason.CHECKSUM_MISMATCH, Reason.CORRUPT_COMPRESSED_STREAM);
            });
        }
    }

    @Test
    void checkStoredNamesAnEntryWhoseStoredBytesChangedWithoutDecompressingIt() throws IOException {
        ArchiveReader intact = ArchiveReader.open(archive);
        for (EntryInfo e : manifest.entries()) {
            intact.checkStored(e.name());
        }
        for (String name : new String[] {TABLE, "databases/main/schema.dump"}) {
            EntryInfo e = manifest.entry(name);
            flip(e.offset() + e.storedSize() / 2);
            ArchiveReader damaged = ArchiveReader.open(archive);
            assertThatThrownBy(() -> damaged.checkStored(name))
                    .isInstanceOf(CorruptArchiveException.class)
                    .hasMessageContaining(name)
                    .hasMessageContaining(e.storedSha256());
            // the other entries are still intact
            damaged.checkStored("databases/main/data/public.items.copy.gz");
        }
    }

    @Test
    void aFlippedByteInsideUncompressedDataIsNamed() throws IOException {
        EntryInfo e = manifest.entry("databases/main/schema.dump");
        VerificationReport r = flip(e.offset() + 10);
        assertThat(r.failures())
                .extracting(VerificationReport.Failure::entry, VerificationReport.Failure::reason)
                .contains(org.assertj.core.groups.Tuple.tuple("databases/main/schema.dump", Reason.CHECKSUM_MISMATCH));
    }

    @Test
    void aFlippedByteInATarHeaderIsNamed() throws IOException {
        // name field, mode, size field, checksum field, magic
        for (int field : new int[] {3, 101, 130, 150, 258}) {
            VerificationReport r = flip(headerOf(TABLE) + field);
            assertThat(r.ok()).as("field offset %d", field).isFalse();
            assertThat(r.failures())
                    .as("field offset %d: %s", field, r.failures())
                    .anySatisfy(f -> assertThat(f.entry()).isEqualTo(TABLE));
        }
    }

    @Test
    void aFlippedByteInAPaxHeaderIsNoticed() throws IOException {
        // The pax data block holding the long path sits one block before the ustar header.
        long paxData = headerOf(LONG) - 512;
        for (int i : new int[] {0, 20, 100}) {
            VerificationReport r = flip(paxData + i);
            assertThat(r.ok()).as("pax byte %d", i).isFalse();
            assertThat(r.failures())
                    .as("pax byte %d: %s", i, r.failures())
                    .anySatisfy(f -> assertThat(f.entry()).isEqualTo(LONG));
        }
    }

    @Test
    void aFlippedByteInTheManifestIsNamed() throws IOException {
        VerificationReport r = flip(manifestData() + 30);
        assertThat(r.failures())
                .extracting(VerificationReport.Failure::reason)
                .contains(Reason.MANIFEST_CHECKSUM_MISMATCH);
        assertThat(r.failures()).anySatisfy(f -> assertThat(f.entry()).isEqualTo(EntryNames.manifest(manifestCodec())));
        assertThatThrownBy(() -> ArchiveReader.open(archive))
                .isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining("manifest");
    }

    @Test
    void aFlippedByteInTheManifestChecksumIsNamed() throws IOException {
        int at = indexOf(
                pristine, ("  " + EntryNames.manifest(manifestCodec()) + "\n").getBytes(StandardCharsets.US_ASCII));
        VerificationReport r = flip(at - 5);
        assertThat(r.failures())
                .extracting(VerificationReport.Failure::reason)
                .containsExactly(Reason.MANIFEST_CHECKSUM_MISMATCH);
    }

    @Test
    void aFlippedByteInPaddingOrTheEndMarkerIsNoticed() throws IOException {
        EntryInfo e = manifest.entry("databases/main/schema.dump");
        long padding = e.offset() + e.storedSize() + 1;
        assertThat(flip(padding).failures()).anySatisfy(f -> {
            assertThat(f.reason()).isEqualTo(Reason.CORRUPT_TAR);
            assertThat(f.entry()).isEqualTo("databases/main/schema.dump");
        });
        assertThat(flip(pristine.length - 1).ok()).isFalse();
        assertThat(flip(pristine.length - 600).ok()).isFalse();
    }

    @Test
    void everySingleByteFlipIsDetected() throws IOException {
        // Exhaustive over headers, manifest and tail; sampled inside the large data entries.
        int detected = 0;
        for (int p = 0; p < pristine.length; p += (inBigData(p) ? 1999 : 13)) {
            assertThat(flip(p).ok()).as("flip at %d", p).isFalse();
            detected++;
        }
        assertThat(detected).isGreaterThan(500);
    }

    @Test
    void theCheckRightAfterAWriteUsesTheManifestWrittenOnlyWhenItWasReadBackUnchanged() throws IOException {
        for (boolean decode : new boolean[] {false, true}) {
            VerificationReport intact =
                    ArchiveReader.verifyWritten(new ByteArrayInputStream(pristine), decode, summary);
            assertThat(intact.ok()).isTrue();
            assertThat(intact)
                    .usingRecursiveComparison()
                    .isEqualTo(
                            decode
                                    ? ArchiveReader.verify(new ByteArrayInputStream(pristine))
                                    : ArchiveReader.verifyStored(new ByteArrayInputStream(pristine)));
            int detected = 0;
            for (int p = 0; p < pristine.length; p += (inBigData(p) ? 1999 : 13)) {
                byte[] b = pristine.clone();
                b[p] ^= (byte) 0xFF;
                assertThat(ArchiveReader.verifyWritten(new ByteArrayInputStream(b), decode, summary)
                                .ok())
                        .as("flip at %d", p)
                        .isFalse();
                detected++;
            }
            assertThat(detected).isGreaterThan(500);
        }
    }

    @Test
    void storedOnlyVerificationAlsoDetectsEverySampledFlip() throws IOException {
        assertThat(ArchiveReader.verifyStored(new java.io.ByteArrayInputStream(pristine))
                        .ok())
                .isTrue();
        int detected = 0;
        for (int p = 0; p < pristine.length; p += (inBigData(p) ? 1999 : 13)) {
            byte[] b = pristine.clone();
            b[p] ^= (byte) 0xFF;
            VerificationReport r = ArchiveReader.verifyStored(new java.io.ByteArrayInputStream(b));
            assertThat(r.ok()).as("flip at %d", p).isFalse();
            detected++;
        }
        assertThat(detected).isGreaterThan(500);
        EntryInfo e = manifest.entry(TABLE);
        byte[] b = pristine.clone();
        b[(int) (e.offset() + e.storedSize() / 2)] ^= 1;
        assertThat(ArchiveReader.verifyStored(new java.io.ByteArrayInputStream(b))
                        .failures())
                .extracting(VerificationReport.Failure::entry, VerificationReport.Failure::reason)
                .contains(org.assertj.core.groups.Tuple.tuple(TABLE, Reason.CHECKSUM_MISMATCH));
    }

    @Test
    void aTruncatedArchiveIsReported() throws IOException {
        Files.write(archive, java.util.Arrays.copyOf(pristine, pristine.length / 2));
        VerificationReport r = ArchiveReader.verify(archive);
        assertThat(r.ok()).isFalse();
        assertThat(r.failures()).extracting(VerificationReport.Failure::reason).contains(Reason.CORRUPT_TAR);
    }

    @Test
    void openEntryRefusesToEndADamagedEntryQuietly() throws IOException {
        EntryInfo e = manifest.entry("databases/main/data/public.items.copy.gz");
        byte[] b = pristine.clone();
        // Inside the gzip trailer's CRC: a decoder that stops early would still see the whole payload.
        b[(int) (e.offset() + e.storedSize() - 6)] ^= 1;
        Files.write(archive, b);
        ArchiveReader reader = ArchiveReader.open(archive);
        assertThatThrownBy(() -> {
                    try (InputStream in = reader.openEntry(e.name())) {
                        in.readAllBytes();
                    }
                })
                .isInstanceOf(IOException.class);
    }

    @Test
    void anEntryStoredAsIsIsHashedOnceAndStillRefusedWhenAnyByteDiffers() throws IOException {
        EntryInfo e = manifest.entry(LONG);
        assertThat(e.codec()).isEqualTo(Codec.NONE);
        ArchiveReader clean = ArchiveReader.open(archive);
        try (InputStream in = clean.openEntry(e.name())) {
            assertThat(in.readAllBytes()).hasSize((int) e.rawSize());
        }
        for (long at : new long[] {0, e.storedSize() / 2, e.storedSize() - 1}) {
            byte[] b = pristine.clone();
            b[(int) (e.offset() + at)] ^= 1;
            Files.write(archive, b);
            ArchiveReader reader = ArchiveReader.open(archive);
            assertThatThrownBy(() -> {
                        try (InputStream in = reader.openEntry(e.name())) {
                            in.readAllBytes();
                        }
                    })
                    .as("byte %d", at)
                    .isInstanceOf(CorruptArchiveException.class)
                    .hasMessageContaining(e.name());
        }
    }

    @Test
    void unsafeNamesInAForeignArchiveAreRefused() throws IOException {
        for (String evil : new String[] {"../etc/passwd", "/etc/passwd", "a/../../b", "a\\b", "./x"}) {
            Path p = dir.resolve("evil.tar");
            try (OutputStream out = Files.newOutputStream(p);
                    TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512, "UTF-8")) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                TarArchiveEntry te = new TarArchiveEntry("placeholder", true);
                // Set after construction: the constructor would normalise the very names under test.
                te.setName(evil);
                te.setSize(1);
                tar.putArchiveEntry(te);
                tar.write('x');
                tar.closeArchiveEntry();
            }
            assertThatThrownBy(() -> ArchiveReader.open(p)).as(evil).isInstanceOf(UnsafeEntryNameException.class);
            assertThat(ArchiveReader.verify(p).failures())
                    .as(evil)
                    .anySatisfy(f -> assertThat(f.reason()).isEqualTo(Reason.UNSAFE_ENTRY_NAME));
        }
    }

    private boolean inBigData(int p) {
        for (EntryInfo e : manifest.entries()) {
            if (e.storedSize() > 4096 && p >= e.offset() + 512 && p < e.offset() + e.storedSize() - 512) {
                return true;
            }
        }
        return false;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
