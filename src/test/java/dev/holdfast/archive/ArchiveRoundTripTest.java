package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveRoundTripTest {
    @TempDir
    Path dir;

    private ArchiveWriter.Options options(long maxSize) {
        // A tiny memory limit makes most entries go through the temp-file spool.
        return ArchiveWriter.Options.defaults(dir.resolve("spool"), maxSize).withMemorySpoolLimit(4096);
    }

    @Test
    void everyCodecRoundTripsByteForByte() throws IOException {
        Path archive = dir.resolve("a.tar");
        Map<String, byte[]> contents = new java.util.LinkedHashMap<>();
        List<EntryInfo> infos = new ArrayList<>();
        try (OutputStream out = Files.newOutputStream(archive);
                ArchiveWriter w = new ArchiveWriter(out, options(1L << 30))) {
            for (Codec codec : Codec.values()) {
                for (int size : new int[] {0, 1, 511, 512, 513, 100_000, 2_000_000}) {
                    String name = "databases/main/data/public.t_" + size + ".copy" + codec.extension();
                    byte[] data = TestData.bytes(size, size, 50);
                    contents.put(name, data);
                    infos.add(w.addEntry(name, EntryInfo.KIND_TABLE_DATA, codec, new ByteArrayInputStream(data)));
                }
            }
            Path raw = dir.resolve("photo.jpg");
            Files.write(raw, TestData.bytes(7, 70_000, 0));
            contents.put("media/uploads/files/photo.jpg", Files.readAllBytes(raw));
            infos.add(w.addRawFile("media/uploads/files/photo.jpg", EntryInfo.KIND_MEDIA_FILE, raw));
            ArchiveSummary summary =
                    w.finish(Manifest.of("b-1", "nightly", "full", Instant.parse("2024-05-01T00:00:00Z")));
            assertThat(summary.manifest().entries()).containsExactlyElementsOf(infos);
            assertThat(summary.archiveBytes())
                    .isEqualTo(Files.size(archive) - 0)
                    .isEqualTo(w.bytesWritten());
        }
        assertThat(Files.size(archive) % 512).isZero();

        ArchiveReader reader = ArchiveReader.open(archive);
        assertThat(reader.manifest().backupId()).isEqualTo("b-1");
        assertThat(reader.entryNames()).endsWith(EntryNames.MANIFEST, EntryNames.MANIFEST_SHA256);
        for (var e : contents.entrySet()) {
            try (InputStream in = reader.openEntry(e.getKey())) {
                assertThat(in.readAllBytes()).as(e.getKey()).isEqualTo(e.getValue());
            }
            EntryInfo info = reader.manifest().entry(e.getKey());
            assertThat(info.rawSize()).isEqualTo(e.getValue().length);
            assertThat(info.sha256()).isEqualTo(Digests.sha256Hex(e.getValue()));
            try (InputStream in = reader.openStoredEntry(e.getKey())) {
                assertThat(Digests.sha256Hex(in.readAllBytes())).isEqualTo(info.storedSha256());
            }
            // The manifest's offset alone is enough for a ranged read, without scanning the tar.
            try (InputStream in = ArchiveSource.of(archive).open(info.offset(), info.storedSize())) {
                assertThat(Digests.sha256Hex(in.readAllBytes())).isEqualTo(info.storedSha256());
            }
        }
        List<String> scanned = new ArrayList<>();
        try (InputStream in = Files.newInputStream(archive)) {
            ArchiveReader.scan(in, (name, size, stored) -> {
                scanned.add(name);
                if (name.equals("media/uploads/files/photo.jpg")) {
                    assertThat(stored.readAllBytes()).isEqualTo(contents.get(name));
                }
            });
        }
        assertThat(scanned).containsExactlyElementsOf(reader.entryNames());
        VerificationReport report = reader.verify();
        assertThat(report.failures()).isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.checkedEntries()).isEqualTo(contents.size());
        assertThat(report.rawBytes())
                .isEqualTo(contents.values().stream().mapToLong(b -> b.length).sum());
    }

    @Test
    void entriesProducedInParallelAreAllStoredIntact() throws Exception {
        Path archive = dir.resolve("p.tar");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (OutputStream out = Files.newOutputStream(archive);
                ArchiveWriter w = new ArchiveWriter(out, options(1L << 30))) {
            List<Future<EntryInfo>> futures = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    EntryBuilder b = w.openEntry(
                            "databases/main/data/public.t" + n + ".copy.zst", EntryInfo.KIND_TABLE_DATA, Codec.ZSTD);
                    try (b;
                            InputStream in = TestData.stream(n, 300_000 + n * 1000L, 70)) {
                        in.transferTo(b);
                        return b.commit();
                    }
                }));
            }
            for (Future<EntryInfo> f : futures) {
                f.get();
            }
            w.finish(Manifest.of("b-2", "parallel", "database", Instant.now()));
        } finally {
            pool.shutdown();
        }
        ArchiveReader reader = ArchiveReader.open(archive);
        assertThat(reader.manifest().entries()).hasSize(12);
        for (int i = 0; i < 12; i++) {
            try (InputStream in = reader.openEntry("databases/main/data/public.t" + i + ".copy.zst")) {
                assertThat(in.readAllBytes()).isEqualTo(TestData.bytes(i, 300_000 + i * 1000, 70));
            }
        }
        assertThat(reader.verify().ok()).isTrue();
    }

    @Test
    void anEntryClosedWithoutCommitIsNotStoredAndFailsTheFinish() throws IOException {
        try (ArchiveWriter w = new ArchiveWriter(OutputStream.nullOutputStream(), options(1L << 30))) {
            try (EntryBuilder b = w.openEntry("a.copy", EntryInfo.KIND_OTHER, Codec.NONE)) {
                b.write("partial".getBytes(StandardCharsets.UTF_8));
            }
            EntryBuilder skipped = w.openEntry("b.copy", EntryInfo.KIND_OTHER, Codec.NONE);
            skipped.abort();
            assertThat(w.entries()).isEmpty();
            assertThatThrownBy(() -> w.finish(Manifest.of("x", "x", "full", Instant.now())))
                    .isInstanceOf(ArchiveException.class)
                    .hasMessageContaining("a.copy");
        }
    }

    @Test
    void duplicateAndReservedNamesAreRefused() throws IOException {
        try (ArchiveWriter w = new ArchiveWriter(OutputStream.nullOutputStream(), options(1L << 30))) {
            w.addEntry("x", EntryInfo.KIND_OTHER, Codec.NONE, new ByteArrayInputStream(new byte[1]));
            assertThatThrownBy(() -> w.openEntry("x", EntryInfo.KIND_OTHER, Codec.NONE))
                    .hasMessageContaining("duplicate");
            assertThatThrownBy(() -> w.openEntry("manifest.json", EntryInfo.KIND_OTHER, Codec.NONE))
                    .hasMessageContaining("reserved");
        }
    }

    @Test
    void spoolFilesNeverOutliveTheirEntry() throws IOException {
        try (ArchiveWriter w = new ArchiveWriter(OutputStream.nullOutputStream(), options(1L << 30))) {
            EntryBuilder b = w.openEntry("big", EntryInfo.KIND_OTHER, Codec.NONE);
            TestData.stream(1, 1_000_000, 0).transferTo(b);
            try (Stream<Path> files = Files.list(dir.resolve("spool"))) {
                assertThat(files).as("spool is unlinked while open").isEmpty();
            }
            b.commit();
        }
    }

    @Test
    void maxSizeStopsAGrowingEntryBeforeItIsSpooledWhole() throws IOException {
        long max = 1_000_000;
        try (ArchiveWriter w = new ArchiveWriter(OutputStream.nullOutputStream(), options(max))) {
            w.addEntry("small", EntryInfo.KIND_OTHER, Codec.NONE, new ByteArrayInputStream(new byte[600_000]));
            EntryBuilder b = w.openEntry("big", EntryInfo.KIND_OTHER, Codec.NONE);
            InputStream in = TestData.stream(3, 10_000_000, 0);
            assertThatThrownBy(() -> in.transferTo(b))
                    .isInstanceOf(ArchiveTooLargeException.class)
                    .hasMessageContaining("maximum size of 1000000 bytes")
                    .hasMessageContaining("'big'");
            assertThat(b.rawBytes()).as("stopped early").isLessThan(1_000_000);
            b.abort();
        }
    }

    @Test
    void maxSizeCountsHeadersAndTheManifest() throws IOException {
        try (ArchiveWriter w = new ArchiveWriter(OutputStream.nullOutputStream(), options(4096))) {
            assertThatThrownBy(() ->
                            w.addEntry("e", EntryInfo.KIND_OTHER, Codec.NONE, new ByteArrayInputStream(new byte[3000])))
                    .isInstanceOf(ArchiveTooLargeException.class);
        }
    }
}
