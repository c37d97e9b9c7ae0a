package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measures COPY text against binary, raw and through zstd -3, on about 200 MB of app-like data, and
 * page-range splitting of one big table over two workers. Run on demand:
 * {@code ./mvnw -o test -Dtest=CopyFormatBenchmarkTest -Dholdfast.bench=true -DargLine=-Xmx64m}
 * (the small heap shows that nothing is held whole). Results go to {@code target/bench-copy-formats.txt}.
 */
@EnabledIfSystemProperty(named = "holdfast.bench", matches = "true")
class CopyFormatBenchmarkTest {

    static final String DATA = """
            CREATE TABLE public.bench_mix AS
              SELECT g::bigint AS id, (random() * 1e6)::int AS qty, 'title ' || md5(g::text) AS title,
                     jsonb_build_object('id', g, 'name', md5(g::text), 'tags', jsonb_build_array('a', 'b', g % 100),
                                        'active', g % 2 = 0, 'score', random()) AS doc,
                     round((random() * 100000)::numeric, 2) AS amount,
                     timestamptz '2024-01-01' + g * interval '1 second' AS at,
                     decode(md5(g::text) || md5((g + 1)::text), 'hex') AS blob
              FROM generate_series(1, 650000) g;
            CREATE TABLE public.bench_ints AS
              SELECT g::bigint AS id, (g % 1000)::int AS a, (random() * 1e9)::int AS b, g * 7 AS c
              FROM generate_series(1, 1200000) g;
            CREATE TABLE public.bench_text AS
              SELECT g AS id, repeat('Lorem ipsum dolor sit amet, ' || md5(g::text) || E'\\n\\tconsectetur\\\\ ', 4) AS body
              FROM generate_series(1, 120000) g;
            """;

    static final List<TableRef> TABLES = List.of(
            new TableRef("public", "bench_mix"),
            new TableRef("public", "bench_ints"),
            new TableRef("public", "bench_text"));

    @Test
    void measureTextAgainstBinaryRawAndCompressed() throws Exception {
        StringBuilder report = new StringBuilder();
        try (PgTestDatabase db = PgTestDatabase.create()) {
            long t0 = System.nanoTime();
            db.execute(DATA);
            db.execute("VACUUM ANALYZE"); // alone: VACUUM refuses to run in a multi-statement string
            line(
                    report,
                    "data generated in %.1f s; heap max %d MB; load average %.1f on %d cores",
                    secs(t0),
                    Runtime.getRuntime().maxMemory() >> 20,
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                            .getSystemLoadAverage(),
                    Runtime.getRuntime().availableProcessors());
            try (SnapshotSession s = SnapshotSession.begin(PgTestDatabase.FACTORY, db.info, Duration.ofSeconds(10))) {
                PgCatalog catalog = PgCatalog.read(s.coordinator());
                long total = 0;
                for (TableRef t : TABLES) {
                    PgCatalog.Table table = catalog.table(t).orElseThrow();
                    total += table.sizeBytes();
                    line(
                            report,
                            "%-12s rows %9d  pg_table_size %7.1f MB",
                            t.name(),
                            table.estimatedRows(),
                            mb(table.sizeBytes()));
                }
                line(report, "total pg_table_size %.1f MB", mb(total));
                s.lockTables(TABLES);
                Connection w = s.openWorker();
                // warm-up: bring the tables into shared buffers / page cache for both formats alike
                for (TableRef t : TABLES) {
                    copy(w, catalog, t, CopyStreamer.Format.TEXT, false);
                }
                line(
                        report,
                        "%-12s %-6s %8s %9s %8s %9s %7s",
                        "table",
                        "format",
                        "raw s",
                        "raw MB",
                        "zstd s",
                        "zstd MB",
                        "ratio");
                for (int round = 0; round < 2; round++) {
                    for (CopyStreamer.Format f : CopyStreamer.Format.values()) {
                        double rawS = 0, zS = 0;
                        long rawB = 0, zB = 0;
                        for (TableRef t : TABLES) {
                            long a = System.nanoTime();
                            long[] raw = copy(w, catalog, t, f, false);
                            double rs = secs(a);
                            a = System.nanoTime();
                            long[] z = copy(w, catalog, t, f, true);
                            double zs = secs(a);
                            assertThat(z[0]).isEqualTo(raw[0]);
                            line(
                                    report,
                                    "%-12s %-6s %8.2f %9.1f %8.2f %9.1f %7.2f",
                                    t.name(),
                                    f,
                                    rs,
                                    mb(raw[1]),
                                    zs,
                                    mb(z[1]),
                                    (double) raw[1] / z[1]);
                            rawS += rs;
                            zS += zs;
                            rawB += raw[1];
                            zB += z[1];
                        }
                        line(
                                report,
                                "%-12s %-6s %8.2f %9.1f %8.2f %9.1f %7.2f   (round %d)",
                                "ALL",
                                f,
                                rawS,
                                mb(rawB),
                                zS,
                                mb(zB),
                                (double) rawB / zB,
                                round + 1);
                    }
                }

                // one big table: whole on one worker vs two page ranges on two workers, raw and text + zstd
                TableRef big = TABLES.get(0);
                List<String> cols = catalog.table(big).orElseThrow().copyColumns();
                List<Connection> two = s.openWorkers(2);
                List<CopyStreamer.CtidRange> ranges = CopyStreamer.pageRanges(w, big, 2, 1024);
                ExecutorService pool = Executors.newFixedThreadPool(2);
                try {
                    long a = System.nanoTime();
                    copy(w, catalog, big, CopyStreamer.Format.TEXT, false);
                    double oneRaw = secs(a);
                    a = System.nanoTime();
                    List<Future<Long>> rawParts = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        Connection c = two.get(i);
                        CopyStreamer.CtidRange r = ranges.get(i);
                        rawParts.add(pool.submit(() -> new CopyStreamer()
                                .copyOut(c, big, cols, CopyStreamer.Format.TEXT, r, new Counting())
                                .rows()));
                    }
                    for (Future<Long> p : rawParts) {
                        p.get();
                    }
                    double splitRaw = secs(a);
                    line(
                            report,
                            "range split %s text raw: 1 worker %.2f s, 2 workers x 1 range %.2f s (%.2fx)",
                            big.name(),
                            oneRaw,
                            splitRaw,
                            oneRaw / splitRaw);
                    a = System.nanoTime();
                    copy(w, catalog, big, CopyStreamer.Format.TEXT, true);
                    double one = secs(a);
                    a = System.nanoTime();
                    List<Future<Long>> parts = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        Connection c = two.get(i);
                        CopyStreamer.CtidRange r = ranges.get(i);
                        parts.add(pool.submit(() -> {
                            Counting sink = new Counting();
                            try (ZstdOutputStream z = new ZstdOutputStream(sink, 3)) {
                                return new CopyStreamer()
                                        .copyOut(c, big, cols, CopyStreamer.Format.TEXT, r, z)
                                        .rows();
                            }
                        }));
                    }
                    long rows = 0;
                    for (Future<Long> p : parts) {
                        rows += p.get();
                    }
                    double split = secs(a);
                    assertThat(rows).isEqualTo(catalog.table(big).orElseThrow().estimatedRows());
                    line(
                            report,
                            "range split %s text+zstd: 1 worker %.2f s, 2 workers x 1 range %.2f s (%.2fx)",
                            big.name(),
                            one,
                            split,
                            one / split);
                } finally {
                    pool.shutdown();
                }
            }

            // context: pg_dump -Fc of the same tables (default gzip level)
            Path dump = Files.createTempFile("holdfast-bench", ".dump");
            try {
                long a = System.nanoTime();
                Process p = dev.holdfast.support.TestDatabase.tool(dev.holdfast.support.TestDatabase.pgTool(
                                "pg_dump", "-Fc", "-f", dump.toString(), db.name))
                        .inheritIO()
                        .start();
                assertThat(p.waitFor()).isZero();
                line(
                        report,
                        "pg_dump -Fc: %.2f s, %.1f MB; load average now %.1f",
                        secs(a),
                        mb(Files.size(dump)),
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                                .getSystemLoadAverage());
            } finally {
                Files.deleteIfExists(dump);
            }
        }
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "bench-copy-formats.txt"), report);
    }

    static long[] copy(Connection w, PgCatalog catalog, TableRef t, CopyStreamer.Format f, boolean zstd)
            throws IOException {
        List<String> cols = catalog.table(t).orElseThrow().copyColumns();
        Counting sink = new Counting();
        long rows;
        if (zstd) {
            try (ZstdOutputStream z = new ZstdOutputStream(sink, 3)) {
                rows = new CopyStreamer().copyOut(w, t, cols, f, z).rows();
            }
        } else {
            rows = new CopyStreamer().copyOut(w, t, cols, f, sink).rows();
        }
        return new long[] {rows, sink.count};
    }

    static final class Counting extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    static double secs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static double mb(long bytes) {
        return bytes / 1048576.0;
    }

    static void line(StringBuilder sb, String fmt, Object... args) {
        String l = String.format(Locale.ROOT, fmt, args);
        System.out.println(l);
        sb.append(l).append('\n');
    }
}
