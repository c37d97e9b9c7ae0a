package dev.holdfast.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Single-thread write throughput per codec, with and without the spool step; prints MB/s and asserts
 * nothing. Run with {@code ./mvnw -o test -Dtest=ArchiveThroughputBenchmark -Dholdfast.bench=true}
 * ({@code -Dholdfast.bench.bytes=...} to change the 1 GB input).
 */
@EnabledIfSystemProperty(named = "holdfast.bench", matches = "true")
class ArchiveThroughputBenchmark {
    private static final long BYTES = Long.getLong("holdfast.bench.bytes", 1L << 30);

    @Test
    void measure() throws IOException {
        Path spool = Files.createTempDirectory("holdfast-bench");
        report("generate input only", BYTES, time(() -> Digests.drain(input())), -1);
        for (Object[] c : new Object[][] {{Codec.ZSTD, 1}, {Codec.ZSTD, 3}, {Codec.GZIP, 6}}) {
            Codec codec = (Codec) c[0];
            int level = (Integer) c[1];
            long[] stored = new long[1];
            long pipe = time(() -> {
                Digests.DigestingOutputStream st = new Digests.DigestingOutputStream(OutputStream.nullOutputStream());
                Digests.DigestingOutputStream raw = new Digests.DigestingOutputStream(codec.compress(st, level));
                try (InputStream in = input()) {
                    in.transferTo(raw);
                }
                raw.close();
                raw.digest.digest();
                st.digest.digest();
                stored[0] = st.count;
            });
            report(codec.jsonName() + " " + level + ": compress + 2x SHA-256, no spool", BYTES, pipe, stored[0]);
            long full = time(() -> {
                ArchiveWriter.Options o = ArchiveWriter.Options.defaults(spool, Long.MAX_VALUE)
                        .withZstdLevel(codec == Codec.ZSTD ? level : 3)
                        .withGzipLevel(codec == Codec.GZIP ? level : 6);
                try (ArchiveWriter w = new ArchiveWriter(OutputStream.nullOutputStream(), o);
                        InputStream in = input()) {
                    w.addEntry("e" + codec.extension(), EntryInfo.KIND_OTHER, codec, in);
                    w.finish(Manifest.of("b", "b", "full", Instant.now()));
                }
            });
            report(codec.jsonName() + " " + level + ": ArchiveWriter incl. spool", BYTES, full, stored[0]);
        }
    }

    private static InputStream input() {
        return TestData.stream(1, BYTES, 50);
    }

    private interface Work {
        void run() throws IOException;
    }

    private static long time(Work w) throws IOException {
        long t = System.nanoTime();
        w.run();
        return System.nanoTime() - t;
    }

    private static void report(String what, long bytes, long nanos, long stored) {
        System.out.printf(
                Locale.ROOT,
                "BENCH %-50s %8.1f MB/s%s%n",
                what,
                bytes / 1e6 / (nanos / 1e9),
                stored < 0 ? "" : String.format(Locale.ROOT, "  (ratio %.3f)", (double) stored / bytes));
    }
}
