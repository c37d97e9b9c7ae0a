package dev.holdfast.backup;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Backups under stress: cancellation, concurrent writers, and a table far larger than the heap. */
@QuarkusTest
class BackupRobustnessTest {
    static final Object RESOURCES = TestResources.class;
    static final Path STORAGE = BackupApiTest.STORAGE;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    static void bigTable(String name, long rows, int md5PerRow) {
        AppDatabase.exec(
                TestDatabase.APP_DB,
                "CREATE TABLE public." + name + " AS SELECT g AS id, repeat(md5(g::text), " + md5PerRow
                        + ") AS payload FROM generate_series(1, " + rows + ") g",
                "ANALYZE public." + name);
    }

    static Manifest manifest(UUID id) throws Exception {
        return ArchiveReader.open(STORAGE.resolve(id + ".tar")).manifest();
    }

    static long rows(Manifest m, String table) {
        return m.databases().get(0).tables().stream()
                .filter(t -> t.name().equals(table))
                .findFirst()
                .orElseThrow()
                .rowCount();
    }

    static void assertNoLeftovers(UUID id) throws Exception {
        assertThat(STORAGE.resolve(id + ".tar")).doesNotExist();
        try (Stream<Path> files = Files.list(STORAGE)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(id.toString()));
        }
        Path spool = STORAGE.resolve(".spool");
        if (Files.isDirectory(spool)) {
            try (Stream<Path> files = Files.list(spool)) {
                assertThat(files).isEmpty();
            }
        }
    }

    @Test
    void cancellingARunningBackupStopsItAndLeavesNoArchiveNoTempAndNoSpool() throws Exception {
        bigTable("big", 3_000_000, 4);
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        String job = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", id)
                .jsonPath()
                .getString("job_id");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> "copy"
                        .equals(given().auth()
                                .oauth2(Tokens.viewer())
                                .get("/api/jobs/{id}", job)
                                .jsonPath()
                                .getString("progress.phase")));
        given().auth()
                .oauth2(Tokens.operator())
                .post("/api/jobs/{id}/cancel", job)
                .then()
                .statusCode(202);
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("status").asText()).isEqualTo("CANCELLED");
        assertThat(b.get("error").asText()).isEqualTo("Cancelled by request");
        assertThat(BackupApiTest.jobState(job)).isEqualTo("CANCELLED");
        assertNoLeftovers(id);
    }

    @Test
    void progressStreamReportsPhasesBytesAndTablesUntilTheEnd() throws Exception {
        bigTable("big", 1_000_000, 4);
        // Warm the client side first (the contract validator, JSON paths, the HTTP client): run cold, they took
        // longer than this backup, and the stream opened on a finished job, with no copy phase left to see.
        UUID warm = BackupApiTest.create("{\"backup_type\":\"database\",\"include_tables\":[\"auth_user\"]}");
        BackupApiTest.awaitBackup(warm);
        dev.holdfast.support.SseClient.collect(
                        io.restassured.RestAssured.baseURI + ":" + io.restassured.RestAssured.port + "/api/backups/"
                                + warm + "/progress",
                        Tokens.viewer())
                .get(60, java.util.concurrent.TimeUnit.SECONDS);
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        java.util.List<dev.holdfast.support.SseClient.Event> events = dev.holdfast.support.SseClient.collect(
                        io.restassured.RestAssured.baseURI + ":" + io.restassured.RestAssured.port + "/api/backups/"
                                + id + "/progress",
                        Tokens.viewer())
                .get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(events.get(0).name()).isEqualTo("state");
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        assertThat(events.get(events.size() - 1).data().get("state").asText()).isEqualTo("SUCCEEDED");
        var copy = events.stream()
                // The first state event carries the job's progress too (the stream may open after copying began).
                .filter(e -> (e.name().equals("progress") || e.name().equals("state"))
                        && e.data().hasNonNull("progress")
                        && "copy".equals(e.data().get("progress").path("phase").asText()))
                .toList();
        assertThat(copy).as("copy progress among %s", events).isNotEmpty();
        JsonNode p = copy.get(copy.size() - 1).data().get("progress");
        assertThat(p.get("bytes_total").asLong()).isPositive();
        assertThat(p.get("items_total").asLong()).isGreaterThan(10);
        assertThat(p.get("current_item").asText()).startsWith("app:");
        // Rows: those of the tables finished, never falling, never above the estimate or the backup's own count.
        long rowsInBackup = 0;
        for (JsonNode db : BackupApiTest.awaitBackup(id).path("summary").path("databases")) {
            rowsInBackup += db.path("rows").asLong();
        }
        long lastRows = 0;
        for (var e : copy) {
            JsonNode cp = e.data().get("progress");
            long rows = cp.path("rows_done").asLong(-1);
            assertThat(rows).as("rows_done in %s", cp).isGreaterThanOrEqualTo(lastRows);
            if (cp.hasNonNull("rows_total")) {
                assertThat(cp.get("rows_total").asLong()).isGreaterThanOrEqualTo(rows);
            }
            lastRows = rows;
        }
        assertThat(lastRows)
                .as("rows of the small tables finished before the big one")
                .isPositive();
        assertThat(lastRows).isLessThanOrEqualTo(rowsInBackup);
        assertThat(events.stream()
                        .map(e -> e.data().path("progress").path("phase").asText()))
                .contains("copy", "store", "verify", "done");
    }

    @Test
    void writesDuringTheBackupDoNotLeakIntoItAndParallelReadersShareOneSnapshot() throws Exception {
        bigTable("big", 1_500_000, 4);
        AppDatabase.exec(
                TestDatabase.APP_DB,
                "CREATE TABLE public.pair_a (id bigint PRIMARY KEY)",
                "CREATE TABLE public.pair_b (id bigint PRIMARY KEY)");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong written = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = TestDatabase.connect(TestDatabase.APP_DB);
                    Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                while (!stop.get()) {
                    long n = written.incrementAndGet();
                    // Both tables change in one transaction: a consistent snapshot sees both or neither.
                    st.execute("INSERT INTO public.pair_a VALUES (" + n + ")");
                    st.execute("INSERT INTO public.pair_b VALUES (" + n + ")");
                    c.commit();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        await().until(() -> written.get() > 100);
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\"}");
        JsonNode b;
        try {
            b = BackupApiTest.awaitBackup(id);
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        Manifest m = manifest(id);
        long a = rows(m, "pair_a");
        assertThat(rows(m, "pair_b")).isEqualTo(a);
        assertThat(a).isGreaterThan(100).isLessThan(written.get());
        assertThat(rows(m, "big")).isEqualTo(1_500_000);
    }

    @Test
    void aTableFarLargerThanTheHeapStreamsThroughBoundedMemory() throws Exception {
        long maxHeap = Runtime.getRuntime().maxMemory();
        bigTable("huge", 9_000_000, 5); // about 1.5 GB of COPY text
        AppDatabase.exec(TestDatabase.APP_DB, "VACUUM ANALYZE public.huge");
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        UUID id = BackupApiTest.create("{\"backup_type\":\"database\",\"include_tables\":[\"huge\"]}");
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        JsonNode table = b.get("summary").get("databases").get(0).get("tables").get(0);
        assertThat(table.get("rows").asLong()).isEqualTo(9_000_000);
        long raw = table.get("raw_bytes").asLong();
        assertThat(raw).as("COPY bytes vs max heap %d", maxHeap).isGreaterThan(2 * maxHeap);
        long peak = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed())
                .sum();
        assertThat(peak).as("peak heap while streaming %d raw bytes", raw).isLessThan(maxHeap);
        Files.deleteIfExists(STORAGE.resolve(id + ".tar"));
    }
}
