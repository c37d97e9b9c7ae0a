package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Restore speed against pg_restore on a database of about 300 MB:
 * {@code ./mvnw -o test -Dtest=RestoreBenchmarkTest -Dholdfast.bench=true}. Clean restore into an empty
 * database is compared with {@code pg_restore -j 2} of a {@code pg_dump -Fc} archive; replace restore with
 * TRUNCATE plus {@code pg_restore --data-only --single-transaction --disable-triggers}. Results go to
 * {@code target/bench-restore.txt}.
 */
@EnabledIfSystemProperty(named = "holdfast.bench", matches = "true")
class RestoreBenchmarkTest {

    static final String TABLES = "bench.items, bench.orders, bench.customers";

    @Test
    void restoreAgainstPgRestore() throws Exception {
        Path archiveFile = Files.createTempFile("holdfast-bench-restore", ".tar");
        Path dump = Files.createTempFile("holdfast-bench-restore", ".dump");
        StringBuilder out = new StringBuilder();
        try (RestoreTestDb source = RestoreTestDb.create()) {
            source.exec(
                    "CREATE SCHEMA bench",
                    "CREATE TABLE bench.customers (id bigint PRIMARY KEY, name text, email text UNIQUE, created timestamptz)",
                    "CREATE TABLE bench.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES bench.customers,"
                            + " total numeric(12,2), note text, created timestamptz)",
                    "CREATE INDEX orders_customer_idx ON bench.orders (customer_id)",
                    "CREATE TABLE bench.items (order_id bigint REFERENCES bench.orders, sku int, qty int,"
                            + " PRIMARY KEY (order_id, sku))",
                    "INSERT INTO bench.customers SELECT g, 'customer ' || g, 'c' || g || '@example.com',"
                            + " '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 1000000) g",
                    "INSERT INTO bench.orders SELECT g, 1 + (g::bigint * 7919) % 1000000, (g % 100000) / 100.0,"
                            + " md5(g::text) || md5((g + 1)::text), '2024-01-01'::timestamptz + g * interval '1 second'"
                            + " FROM generate_series(1, 2000000) g",
                    "INSERT INTO bench.items SELECT 1 + g / 2, g % 2, g % 17 FROM generate_series(1, 3999999) g",
                    "VACUUM ANALYZE");
            String size = source.query("SELECT pg_size_pretty(pg_database_size(current_database()))");
            long t = System.nanoTime();
            ArchiveReader archive = source.backup(archiveFile);
            double backup = secs(t);
            run(dev.holdfast.support.TestDatabase.pgTool("pg_dump", "-Fc", "-f", dump.toString(), source.name));
            Manifest.DatabaseSection section = archive.manifest().databases().get(0);
            DatabaseRestore restore = new DatabaseRestore(RestoreTestDb.FACTORY, RestoreTestDb.TOOLS);
            String expected = source.tableHashes().toString();
            out.append(String.format(
                    Locale.ROOT,
                    "database %s, archive %d MB, holdfast backup %.1f s%n",
                    size,
                    Files.size(archiveFile) >> 20,
                    backup));

            double clean;
            double pgRestoreJ2;
            try (RestoreTestDb empty = RestoreTestDb.create()) {
                t = System.nanoTime();
                restore.run(
                        archive,
                        section,
                        empty.info,
                        RestoreOptions.cleanAll(),
                        RestoreProgress.Listener.none(),
                        () -> {});
                clean = secs(t);
                assertThat(empty.tableHashes().toString()).isEqualTo(expected);
            }
            try (RestoreTestDb empty = RestoreTestDb.create()) {
                t = System.nanoTime();
                run(dev.holdfast.support.TestDatabase.pgTool(
                        "pg_restore", "-j", "2", "-d", empty.name, dump.toString()));
                pgRestoreJ2 = secs(t);
            }
            double replace;
            double dataOnly;
            try (RestoreTestDb copy = RestoreTestDb.createFrom(source)) {
                copy.exec("UPDATE bench.customers SET name = 'x' WHERE id % 100 = 0", "VACUUM ANALYZE");
                t = System.nanoTime();
                RestoreReport r = restore.run(
                        archive,
                        section,
                        copy.info,
                        RestoreOptions.replaceAll(),
                        RestoreProgress.Listener.none(),
                        () -> {});
                replace = secs(t);
                assertThat(r.ok()).isTrue();
                assertThat(copy.tableHashes().toString()).isEqualTo(expected);
            }
            try (RestoreTestDb copy = RestoreTestDb.createFrom(source)) {
                copy.exec("UPDATE bench.customers SET name = 'x' WHERE id % 100 = 0", "VACUUM ANALYZE");
                t = System.nanoTime();
                run(dev.holdfast.support.TestDatabase.pgTool(
                        "psql", "-q", "-d", copy.name, "-c", "TRUNCATE " + TABLES));
                run(dev.holdfast.support.TestDatabase.pgTool(
                        "pg_restore",
                        "--data-only",
                        "--single-transaction",
                        "--disable-triggers",
                        "-d",
                        copy.name,
                        dump.toString()));
                dataOnly = secs(t);
            }
            out.append(String.format(
                    Locale.ROOT,
                    "clean restore %.1f s vs pg_restore -j 2 %.1f s: %.2fx%n",
                    clean,
                    pgRestoreJ2,
                    clean / pgRestoreJ2));
            out.append(String.format(
                    Locale.ROOT,
                    "replace restore %.1f s vs TRUNCATE + pg_restore --data-only --single-transaction"
                            + " --disable-triggers %.1f s: %.2fx%n",
                    replace,
                    dataOnly,
                    replace / dataOnly));
        } finally {
            Files.deleteIfExists(archiveFile);
            Files.deleteIfExists(dump);
        }
        System.out.print(out);
        Files.writeString(Path.of("target", "bench-restore.txt"), out.toString());
    }

    static double secs(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static void run(List<String> cmd) throws Exception {
        Process p = dev.holdfast.support.TestDatabase.tool(cmd)
                .redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(cmd + ": " + text).isZero();
    }
}
