package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.storage.LocalArchiveStorage;
import dev.holdfast.storage.WritableArchive;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 300 MB entry streams through writer, storage and reader with memory that does not grow with it. */
class LargeEntryTest {
    private static final long SIZE = 300L << 20;
    private static final String NAME = "databases/main/data/public.big.copy.zst";

    @TempDir
    Path dir;

    @Test
    void aLargeEntryRoundTripsWithoutBeingHeldInMemory() throws IOException {
        String expected;
        try (InputStream in = TestData.stream(42, SIZE, 50)) {
            Digests.DigestingInputStream d = new Digests.DigestingInputStream(in);
            Digests.drain(d);
            expected = Digests.hex(d.digest.digest());
        }
        LocalArchiveStorage storage = new LocalArchiveStorage(dir.resolve("store"), "0600");
        long baseline = liveHeap();
        long midEntryGrowth;
        try (WritableArchive target = storage.create("big.tar");
                ArchiveWriter w = new ArchiveWriter(
                        target.stream(), ArchiveWriter.Options.defaults(dir.resolve("spool"), 1L << 40))) {
            EntryBuilder b = w.openEntry(NAME, EntryInfo.KIND_TABLE_DATA, Codec.ZSTD);
            try (b;
                    InputStream in = TestData.stream(42, SIZE, 50)) {
                in.transferTo(b);
                midEntryGrowth = liveHeap() - baseline;
                EntryInfo info = b.commit();
                assertThat(info.rawSize()).isEqualTo(SIZE);
                assertThat(info.sha256()).isEqualTo(expected);
            }
            w.finish(Manifest.of("big", "big", "database", Instant.now()));
            target.commit();
        }
        assertThat(midEntryGrowth).as("live heap growth with 300 MB spooled").isLessThan(64L << 20);

        ArchiveSource source = ArchiveSource.of(storage, "big.tar");
        ArchiveReader reader = ArchiveReader.open(source);
        try (InputStream in = reader.openEntry(NAME)) {
            Digests.DigestingInputStream d = new Digests.DigestingInputStream(in);
            assertThat(Digests.drain(d)).isEqualTo(SIZE);
            assertThat(Digests.hex(d.digest.digest())).isEqualTo(expected);
        }
        VerificationReport report;
        try (InputStream in = storage.open("big.tar")) {
            report = ArchiveReader.verify(in);
        }
        assertThat(report.failures()).isEmpty();
        assertThat(report.rawBytes()).isEqualTo(SIZE);
    }

    private static long liveHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
