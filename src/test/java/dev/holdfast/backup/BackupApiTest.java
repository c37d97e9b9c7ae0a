package dev.holdfast.backup;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Database backups end to end: real API, real tokens, real PostgreSQL, real archive on disk. */
@QuarkusTest
public class BackupApiTest {
    static final Object RESOURCES = TestResources.class;
    static final ObjectMapper JSON = new ObjectMapper();
    public static final Path STORAGE = Path.of("target/holdfast-test-data");

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
    }

    public static UUID create(String body) {
        Response r = given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body(body)
                .post("/api/backups");
        r.then().statusCode(202);
        String id = r.jsonPath().getString("resource.id");
        assertThat(r.header("Location")).endsWith("/api/backups/" + id);
        assertThat(r.jsonPath().getString("job.id")).isEqualTo(r.jsonPath().getString("resource.job_id"));
        assertThat(r.jsonPath().getString("links.self")).isEqualTo(r.header("Location"));
        assertThat(r.jsonPath().getString("links.events"))
                .endsWith("/api/jobs/" + r.jsonPath().getString("job.id") + "/events");
        return UUID.fromString(id);
    }

    /** Queues a verification of backup {@code id} (202 expected) and returns its job id. */
    public static String verifyJob(UUID id) {
        return given().auth()
                .oauth2(Tokens.operator())
                .post("/api/backups/{id}/verify", id)
                .then()
                .statusCode(202)
                .extract()
                .jsonPath()
                .getString("job.id");
    }

    public static JsonNode awaitBackup(UUID id) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    String s = given().auth()
                            .oauth2(Tokens.viewer())
                            .get("/api/backups/{id}", id)
                            .jsonPath()
                            .getString("status");
                    return !s.equals("QUEUED") && !s.equals("RUNNING");
                });
        try {
            return JSON.readTree(given().auth()
                    .oauth2(Tokens.viewer())
                    .get("/api/backups/{id}", id)
                    .asString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path download(UUID id, Path dir) throws Exception {
        Path file = dir.resolve(id + ".tar");
        Response r = given().auth().oauth2(Tokens.admin()).get("/api/backups/{id}/download", id);
        r.then().statusCode(200).contentType("application/x-tar");
        Files.write(file, r.asByteArray());
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertThat(r.header("X-Holdfast-SHA256")).isEqualTo(sha);
        assertThat(Long.parseLong(r.header("Content-Length"))).isEqualTo(Files.size(file));
        assertThat(r.header("Content-Disposition")).contains("attachment").contains(id.toString());
        return file;
    }

    @Test
    void databaseBackupHoldsEveryRowOfEveryTableAndRestoresByHandWithStandardTools() throws Exception {
        Map<String, String> source = AppDatabase.tableHashes(TestDatabase.APP_DB);
        Map<String, String> sequences = AppDatabase.sequences(TestDatabase.APP_DB);
        UUID id = create("{\"name\":\"nightly\",\"backup_type\":\"database\",\"description\":\"first\"}");
        JsonNode b = awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        assertThat(b.get("summary").get("post_write_check").asText()).isEqualTo("stored");
        assertThat(b.get("databases").get(0).asText()).isEqualTo("app");

        Path archive = STORAGE.resolve(id + ".tar");
        assertThat(Files.getPosixFilePermissions(archive))
                .extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
        try (var temps = Files.list(STORAGE)) {
            assertThat(temps.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }

        JsonNode db = b.get("summary").get("databases").get(0);
        assertThat(db.get("source").asText()).isEqualTo("app");
        List<String> tables = new ArrayList<>();
        db.get("tables")
                .forEach(t -> tables.add(
                        t.get("schema").asText() + "." + t.get("name").asText()));
        assertThat(tables)
                .doesNotContain("holdfast.job")
                .contains(
                        "public.Order",
                        "public.select",
                        "sales.measurement_2024",
                        "public.empty_table",
                        "Audit.EventLog");
        assertThat(tables).doesNotContain("sales.measurement"); // a partitioned parent holds no rows itself
        // Restore order: a referenced table before the tables referencing it (outside cycles).
        assertThat(tables.indexOf("sales.customer")).isLessThan(tables.indexOf("public.Order"));
        assertThat(tables.indexOf("public.Order")).isLessThan(tables.indexOf("public.select"));
        assertThat(tables.indexOf("public.auth_user")).isLessThan(tables.indexOf("public.profile"));
        assertThat(db.get("cycles").toString()).contains("\"a\"").contains("\"employee\"");

        Path work = Files.createTempDirectory("hand-restore");
        Path file = download(id, work);
        Manifest m = ArchiveReader.open(file).manifest();
        Manifest.DatabaseSection section = m.databases().get(0);
        for (Manifest.TableEntry t : section.tables()) {
            String key = AppDatabase.key(t.schema(), t.name());
            assertThat(Long.toString(t.rowCount()))
                    .as(key)
                    .isEqualTo(source.get(key).split(":")[0]);
        }

        // By hand: tar, zstd, pg_restore and psql only.
        String target = dev.holdfast.support.TestDatabase.throwaway("holdfast_hand_");
        TestDatabase.ensureDatabase(target);
        try {
            run(work, "tar", "-xf", file.toString());
            String url = "postgresql://" + TestDatabase.USER + "@" + TestDatabase.SERVER + "/" + target;
            run(work, "pg_restore", "--section=pre-data", "--exit-on-error", "-d", url, section.schemaEntry());
            for (Manifest.TableEntry t : section.tables()) {
                String cols = t.columns().stream().map(BackupApiTest::quote).collect(Collectors.joining(", "));
                run(
                        work,
                        "bash",
                        "-c",
                        "zstd -dc '" + t.entry().replace("'", "'\\''") + "' | psql -v ON_ERROR_STOP=1 "
                                + "-q '" + url + "' -c "
                                + shellQuote("\\copy " + quote(t.schema()) + "." + quote(t.name())
                                        + " (" + cols + ") FROM STDIN"
                                        + ("binary".equals(t.copyFormatIn(section)) ? " WITH (FORMAT binary)" : "")));
            }
            run(work, "pg_restore", "--section=post-data", "--exit-on-error", "-d", url, section.schemaEntry());
            for (Manifest.SequenceEntry s : section.sequences()) {
                run(
                        work,
                        "psql",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-q",
                        url,
                        "-c",
                        "SELECT setval('" + quote(s.schema()) + "." + quote(s.name()) + "', " + s.lastValue() + ", "
                                + s.isCalled() + ")");
            }
            Map<String, String> restored = AppDatabase.tableHashes(target);
            Map<String, String> expected = new java.util.TreeMap<>(source);
            expected.keySet().removeIf(k -> k.startsWith("holdfast."));
            assertThat(restored).isEqualTo(expected);
            assertThat(AppDatabase.sequences(target)).isEqualTo(sequences);
        } finally {
            TestDatabase.dropDatabase(target);
        }
    }

    @Test
    void selectionExcludesTablesAndKeepsSchemaOnlyTablesEmpty() {
        UUID id = create("{\"backup_type\":\"database\",\"exclude_tables\":[\"auth_*\",\"public.django_session\"],"
                + "\"schema_only_tables\":[\"public.profile\"],\"compression\":\"gzip\"}");
        JsonNode b = awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        JsonNode db = b.get("summary").get("databases").get(0);
        List<String> tables = new ArrayList<>();
        db.get("tables").forEach(t -> tables.add(t.get("name").asText()));
        assertThat(tables)
                .doesNotContain("auth_user", "auth_group", "django_session", "profile")
                .contains("a");
        db.get("tables").forEach(t -> assertThat(t.get("codec").asText()).isEqualTo("gzip"));
        assertThat(db.get("warnings").toString()).contains("auth_user").contains("profile");
    }

    @Test
    void rangeRequestsReturnExactlyTheAskedBytes() throws Exception {
        UUID id = create("{\"backup_type\":\"database\"}");
        assertThat(awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");
        byte[] whole = Files.readAllBytes(STORAGE.resolve(id + ".tar"));
        Response first = given().auth()
                .oauth2(Tokens.admin())
                .header("Range", "bytes=0-99")
                .get("/api/backups/{id}/download", id);
        first.then().statusCode(206).header("Content-Range", "bytes 0-99/" + whole.length);
        assertThat(first.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(whole, 0, 100));
        Response tail = given().auth()
                .oauth2(Tokens.admin())
                .header("Range", "bytes=-10")
                .get("/api/backups/{id}/download", id);
        tail.then().statusCode(206);
        assertThat(tail.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(whole, whole.length - 10, whole.length));
        given().auth()
                .oauth2(Tokens.admin())
                .header("Range", "bytes=" + whole.length + "-")
                .get("/api/backups/{id}/download", id)
                .then()
                .statusCode(416)
                .contentType("application/problem+json");
        given().auth()
                .oauth2(Tokens.operator())
                .get("/api/backups/{id}/download", id)
                .then()
                .statusCode(403);
    }

    @Test
    void verificationFindsAndNamesAFlippedByte() throws Exception {
        UUID id = create("{\"backup_type\":\"database\"}");
        JsonNode b = awaitBackup(id);
        assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
        String ok = verifyJob(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> jobState(ok).equals("SUCCEEDED"));

        // Flip one byte inside the data of the customer table's entry.
        Manifest m = ArchiveReader.open(STORAGE.resolve(id + ".tar")).manifest();
        var entry = m.entries().stream()
                .filter(e -> e.name().contains("customer"))
                .findFirst()
                .orElseThrow();
        try (RandomAccessFile f =
                new RandomAccessFile(STORAGE.resolve(id + ".tar").toFile(), "rw")) {
            long pos = entry.offset() + entry.storedSize() / 2;
            f.seek(pos);
            int v = f.read();
            f.seek(pos);
            f.write(v ^ 0x10);
        }
        String bad = verifyJob(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> jobState(bad).equals("FAILED"));
        JsonNode after = JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", id)
                .asString());
        assertThat(after.get("verify_ok").asBoolean()).isFalse();
        assertThat(after.get("verify_failures").toString()).contains(entry.name());
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/jobs/{id}", bad)
                        .jsonPath()
                        .getString("error"))
                .contains(entry.name());
    }

    @Test
    void aLockedTableFailsTheBackupClearlyAndLeavesNoArchive() throws Exception {
        try (Connection locker = TestDatabase.connect(TestDatabase.APP_DB);
                Statement st = locker.createStatement()) {
            locker.setAutoCommit(false);
            st.execute("LOCK TABLE sales.customer IN ACCESS EXCLUSIVE MODE");
            UUID id = create("{\"backup_type\":\"database\"}");
            JsonNode b = awaitBackup(id);
            locker.rollback();
            assertThat(b.get("status").asText()).isEqualTo("FAILED");
            assertThat(b.get("error").asText()).contains("customer").containsIgnoringCase("lock");
            assertThat(Files.exists(STORAGE.resolve(id + ".tar"))).isFalse();
            try (var files = Files.list(STORAGE)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("." + id));
            }
        }
    }

    @Test
    void listFiltersByStatusTypeSourceAndTextAndDeleteRemovesTheArchive() {
        UUID id = create("{\"name\":\"findme-" + UUID.randomUUID() + "\",\"backup_type\":\"database\"}");
        assertThat(awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("status", "SUCCEEDED")
                .queryParam("type", "database")
                .queryParam("source", "app")
                .queryParam("q", "FINDME")
                .queryParam("sort", "created_at,desc")
                .get("/api/backups")
                .then()
                .statusCode(200)
                .body("items[0].id", equalTo(id.toString()))
                .body("items[0].summary", org.hamcrest.Matchers.nullValue());
        given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("source", "nope")
                .get("/api/backups")
                .then()
                .statusCode(200)
                .body("total_items", equalTo(0));
        given().auth()
                .oauth2(Tokens.operator())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(403);
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", id)
                .then()
                .statusCode(204);
        assertThat(Files.exists(STORAGE.resolve(id + ".tar"))).isFalse();
        given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", id)
                .then()
                .statusCode(404);
    }

    @Test
    void badRequestsAreClearProblems() {
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"databases\":[\"nope\"]}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .contentType("application/problem+json")
                .body("violations[0].field", equalTo("databases[0]"))
                .body("detail", containsString("unknown source 'nope'"));
        given().auth()
                .oauth2(Tokens.operator())
                .contentType("application/json")
                .body("{\"backup_type\":\"weekly\"}")
                .post("/api/backups")
                .then()
                .statusCode(400)
                .body("violations[0].field", equalTo("backup_type"))
                .body("detail", containsString("[full, database, media]"));
    }

    public static String jobState(String id) {
        return given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs/{id}", id)
                .jsonPath()
                .getString("state");
    }

    static String quote(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static void run(Path dir, String... cmd) throws Exception {
        Process p = TestDatabase.tool(List.of(cmd))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + "\n" + out).isZero();
    }
}
