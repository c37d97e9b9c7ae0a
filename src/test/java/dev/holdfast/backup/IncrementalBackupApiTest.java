package dev.holdfast.backup;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.media.MediaTestSupport;
import dev.holdfast.restore.RestoreApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Incremental media backups through the API on the configured root {@code uploads}: the chain in the catalog and the
 * manifest, a restore of the complete tree, verify following the references (and naming a damaged one), delete and
 * retention refusing to break the chain, {@code full_every}, the request checks, and a catalog import of a chain.
 */
@QuarkusTest
class IncrementalBackupApiTest {
    static final Object RESOURCES = TestResources.class;
    static final Path ROOT = Path.of("target/test-media/uploads");
    static final ObjectMapper JSON = new ObjectMapper();

    final List<UUID> made = new ArrayList<>();

    @jakarta.inject.Inject
    IncrementalChains chains;

    @BeforeEach
    void tree() throws Exception {
        clear();
        Random rnd = new Random(11);
        for (int d = 0; d < 4; d++) {
            for (int f = 0; f < 10; f++) {
                byte[] b = new byte[20_000 + rnd.nextInt(20_000)];
                rnd.nextBytes(b);
                Path p = ROOT.resolve("d" + d + "/f" + f + ".bin");
                Files.createDirectories(p.getParent());
                Files.write(p, b);
            }
        }
        Files.createDirectories(ROOT.resolve("empty"));
        Files.createSymbolicLink(ROOT.resolve("latest"), Path.of("d0/f0.bin"));
    }

    @AfterEach
    void cleanUp() {
        // Newest first: an incremental backup before the backups holding its contents.
        for (int i = made.size() - 1; i >= 0; i--) {
            UUID id = made.get(i);
            given().auth()
                    .oauth2(Tokens.admin())
                    .contentType("application/json")
                    .body("{\"protected\": false}")
                    .put("/api/backups/{id}/protection", id);
            given().auth().oauth2(Tokens.admin()).delete("/api/backups/{id}", id);
        }
    }

    @Test
    void anIncrementalBackupStoresOnlyWhatChangedRestoresTheWholeTreeAndKeepsItsChainIntact() throws Exception {
        JsonNode full = backup("{\"backup_type\":\"media\",\"name\":\"inc-full\"}");
        assertThat(full.get("chain_length").asInt()).isZero();
        assertThat(full.get("referenced_backups")).isEmpty();
        UUID fullId = UUID.fromString(full.get("id").asText());

        mutate();
        Map<String, String> changed = MediaTestSupport.snapshot(ROOT);
        JsonNode inc = backup("{\"backup_type\":\"media\",\"name\":\"inc-1\",\"incremental\":true}");
        UUID incId = UUID.fromString(inc.get("id").asText());
        assertThat(inc.get("incremental").asBoolean()).isTrue();
        assertThat(inc.get("chain_length").asInt()).isEqualTo(1);
        assertThat(inc.get("parent_backup_id").asText()).isEqualTo(fullId.toString());
        assertThat(inc.get("referenced_backups").toString()).isEqualTo("[\"" + fullId + "\"]");
        JsonNode media = inc.at("/summary/media/0");
        assertThat(media.get("files").asLong()).isEqualTo(40); // 40 - 1 deleted + 1 added, one renamed
        assertThat(media.get("referenced_files").asLong()).isEqualTo(37); // all but 2 changed and 1 added
        assertThat(inc.get("size_bytes").asLong())
                .isLessThan(full.get("size_bytes").asLong() / 5);
        // Its file index, recorded ahead of the end, is there once, with every file of the tree.
        assertThat(TestDatabase.query(
                        TestDatabase.CATALOG_DB,
                        "SELECT count(*) || ' ' || min(files) FROM holdfast.media_index WHERE backup_id = '" + incId
                                + "'"))
                .isEqualTo("1 40");

        Manifest m = ArchiveReader.open(BackupApiTest.STORAGE.resolve(incId + ".tar"))
                .manifest();
        assertThat(m.formatVersion()).isEqualTo(Manifest.PACKS_VERSION); // references and packs (its files are small)
        assertThat(m.incremental().references()).singleElement().satisfies(r -> {
            assertThat(r.backupId()).isEqualTo(fullId.toString());
            assertThat(r.archiveSha256()).isEqualTo(full.get("sha256").asText());
            assertThat(r.files()).isEqualTo(37);
        });

        // The holder says who needs it, in its own view and in the list.
        assertThat(BackupApiTest.awaitBackup(fullId).get("referenced_by").toString())
                .isEqualTo("[\"" + incId + "\"]");
        assertThat(given().auth()
                        .oauth2(Tokens.viewer())
                        .queryParam("size", "200")
                        .get("/api/backups")
                        .jsonPath()
                        .getList("items.find { it.id == '" + fullId + "' }.referenced_by"))
                .containsExactly(incId.toString());

        // The holder cannot be deleted while the incremental backup needs it; the refusal names it.
        Response refused = given().auth().oauth2(Tokens.admin()).delete("/api/backups/{id}", fullId);
        refused.then().statusCode(409);
        assertThat(refused.jsonPath().getString("detail"))
                .contains(incId.toString())
                .contains("inc-1");
        assertThat(BackupApiTest.STORAGE.resolve(fullId + ".tar")).exists();

        // Retention keeps it and says why, whatever its own rules say.
        JsonNode preview = JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .queryParam("keep_last", "1")
                .get("/api/retention/preview")
                .asString());
        JsonNode verdict = null;
        for (JsonNode v : preview.get("backups")) {
            if (v.get("id").asText().equals(fullId.toString())) {
                verdict = v;
            }
        }
        assertThat(verdict).as(preview.toString()).isNotNull();
        assertThat(verdict.get("decision").asText()).isEqualTo("keep");
        assertThat(verdict.get("reasons").toString()).contains("holds file contents of inc-1");

        // Verify follows the references.
        JsonNode verified = verify(incId);
        assertThat(verified.at("/result/ok").asBoolean())
                .as(verified.toString())
                .isTrue();
        assertThat(verified.at("/result/referenced_contents").asLong()).isEqualTo(37);

        // A drill restores it (references resolved) into scratch space and reads every file back.
        JsonNode drill = dev.holdfast.drill.DrillApiTest.awaitDrill(
                dev.holdfast.drill.DrillApiTest.drill("{\"source\":\"uploads\",\"backup_id\":\"" + incId + "\"}"));
        assertThat(drill.get("status").asText()).as(drill.toString()).isEqualTo("SUCCEEDED");
        assertThat(drill.at("/media/0/files").asLong()).isEqualTo(40);
        assertThat(drill.at("/media/0/ok").asBoolean()).isTrue();

        // A restore of the incremental backup gives the whole tree of its run.
        Files.delete(ROOT.resolve("d3/f3.bin"));
        Files.writeString(ROOT.resolve("stray.txt"), "not in the backup");
        JsonNode restored = RestoreApiTest.awaitRestore(RestoreApiTest.restore(incId, "{\"create_pre_backup\":false}"));
        assertThat(restored.get("status").asText()).as(restored.toString()).isEqualTo("SUCCEEDED");
        assertThat(MediaTestSupport.snapshot(ROOT)).isEqualTo(changed);

        // full_every 2: this run would make the chain 2 long, so it is a full backup, a new chain.
        JsonNode cut = backup("{\"backup_type\":\"media\",\"incremental\":true,\"full_every\":2}");
        assertThat(cut.get("chain_length").asInt()).isZero();
        assertThat(cut.get("referenced_backups")).isEmpty();
        assertThat(cut.at("/summary/media/0/referenced_files").asLong()).isZero();

        // A byte flipped in a content the full backup holds for the incremental one: verify names the file and the
        // holder; a restore fails before the tree is touched.
        Manifest fm = ArchiveReader.open(BackupApiTest.STORAGE.resolve(fullId + ".tar"))
                .manifest();
        Manifest.MediaFile victim = m.media().get(0).files().stream()
                .filter(f -> f.path().equals("d1/f1.bin"))
                .findFirst()
                .orElseThrow();
        EntryInfo e = fm.entry(victim.entry());
        try (RandomAccessFile f = new RandomAccessFile(
                BackupApiTest.STORAGE.resolve(fullId + ".tar").toFile(), "rw")) {
            f.seek(e.offset() + e.storedSize() / 2);
            int v = f.read();
            f.seek(e.offset() + e.storedSize() / 2);
            f.write(v ^ 0x01);
        }
        JsonNode bad = verify(incId);
        assertThat(bad.get("state").asText()).isEqualTo("FAILED");
        JsonNode after = BackupApiTest.awaitBackup(incId);
        assertThat(after.get("verify_ok").asBoolean()).isFalse();
        // The victim's pack is compressed as one stream: the damage surfaces at the member being read when it stops
        // decoding or matching, one of the files the incremental backup refers to in that pack.
        List<String> sharing = m.media().get(0).files().stream()
                .filter(f ->
                        victim.entry().equals(f.entry()) && fullId.toString().equals(f.storedIn()))
                .map(Manifest.MediaFile::path)
                .toList();
        assertThat(sharing).contains("d1/f1.bin");
        assertThat(after.get("verify_failures").toString())
                .contains("REFERENCED_CONTENT_CORRUPT")
                .containsAnyOf(sharing.stream().map(p -> "uploads:" + p).toArray(String[]::new))
                .contains(fullId.toString());
        Files.writeString(ROOT.resolve("stray.txt"), "not in the backup");
        Map<String, String> before = MediaTestSupport.snapshot(ROOT);
        JsonNode failed = RestoreApiTest.awaitRestore(RestoreApiTest.restore(incId, "{\"create_pre_backup\":false}"));
        assertThat(failed.get("status").asText()).isEqualTo("FAILED");
        assertThat(failed.get("error").asText()).containsAnyOf(sharing.toArray(String[]::new));
        assertThat(MediaTestSupport.snapshot(ROOT)).isEqualTo(before);
    }

    @Test
    void aCancelledIncrementalBackupLeavesTheChainAsItWas() throws Exception {
        UUID fullId =
                UUID.fromString(backup("{\"backup_type\":\"media\"}").get("id").asText());
        // A large sparse file keeps the incremental backup busy long enough to be stopped half-way.
        try (RandomAccessFile big = new RandomAccessFile(ROOT.resolve("big.bin").toFile(), "rw")) {
            big.setLength(8L << 30);
        }
        UUID stopped = BackupApiTest.create("{\"backup_type\":\"media\",\"incremental\":true}");
        made.add(stopped);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> "RUNNING"
                        .equals(given().auth()
                                .oauth2(Tokens.viewer())
                                .get("/api/backups/{id}", stopped)
                                .jsonPath()
                                .getString("status")));
        // The file index a running backup records ahead of its end (BackupRun.indexesAhead) goes with its failure.
        Manifest.MediaSection section = new Manifest.MediaSection(
                "uploads",
                List.of(new Manifest.MediaFile("a", "media/uploads/files/a", 1, "0644", java.time.Instant.EPOCH, "00")),
                List.of(),
                Map.of());
        Map<String, byte[]> encoded = Map.of("uploads", dev.holdfast.media.MediaIndex.encode(section.files()));
        chains.recordIndexesAhead(stopped, List.of(section), encoded);
        assertThat(indexRows(stopped)).isEqualTo("1");
        String job = given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/backups/{id}", stopped)
                .jsonPath()
                .getString("job_id");
        given().auth()
                .oauth2(Tokens.operator())
                .post("/api/jobs/{id}/cancel", job)
                .then()
                .statusCode(202);
        JsonNode b = BackupApiTest.awaitBackup(stopped);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("CANCELLED");
        assertThat(b.get("referenced_backups")).isEmpty();
        assertThat(BackupApiTest.STORAGE.resolve(stopped + ".tar")).doesNotExist();
        assertThat(indexRows(stopped)).isEqualTo("0");
        // A late one, from an encoding thread that finished after the failure, records nothing.
        chains.recordIndexesAhead(stopped, List.of(section), encoded);
        assertThat(indexRows(stopped)).isEqualTo("0");
        Files.delete(ROOT.resolve("big.bin"));

        // Nothing of it was recorded: the next incremental backup builds on the full one, and the full one is
        // deletable once that is gone again.
        JsonNode next = backup("{\"backup_type\":\"media\",\"incremental\":true}");
        assertThat(next.get("parent_backup_id").asText()).isEqualTo(fullId.toString());
        assertThat(next.get("chain_length").asInt()).isEqualTo(1);
        assertThat(next.at("/summary/media/0/referenced_files").asLong()).isEqualTo(40);
    }

    @Test
    void aScheduleRunsIncrementalBackupsWithAPeriodicFullOne() throws Exception {
        String name = "media-daily-" + UUID.randomUUID().toString().substring(0, 8);
        Response created = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"name\":\"" + name + "\",\"cron\":\"0 2 * * *\",\"enabled\":false,\"backup\":"
                        + "{\"backup_type\":\"media\",\"incremental\":true,\"full_every\":3}}")
                .post("/api/schedules");
        created.then().statusCode(201);
        String schedule = created.jsonPath().getString("id");
        // The newest backup of the root is this test's own full one, whatever other tests left in the catalog: the
        // schedule's first run builds on it.
        String base = backup("{\"backup_type\":\"media\"}").get("id").asText();
        try {
            List<Integer> chain = new ArrayList<>();
            List<String> parents = new ArrayList<>();
            for (int run = 0; run < 4; run++) {
                Files.writeString(ROOT.resolve("d0/run" + run + ".txt"), "run " + run);
                UUID id = UUID.fromString(given().auth()
                        .oauth2(Tokens.operator())
                        .post("/api/schedules/{id}/run", schedule)
                        .then()
                        .statusCode(202)
                        .extract()
                        .jsonPath()
                        .getString("resource.id"));
                made.add(id);
                JsonNode b = BackupApiTest.awaitBackup(id);
                assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
                assertThat(b.get("schedule_id").asText()).isEqualTo(schedule);
                chain.add(b.get("chain_length").asInt());
                parents.add(b.path("parent_backup_id").asText(null));
            }
            // incrementals until the chain would reach 3, then a full one, then incrementals on it again.
            assertThat(chain).containsExactly(1, 2, 0, 1);
            assertThat(parents.get(0)).isEqualTo(base);
            assertThat(parents.get(2)).isNull();
            assertThat(parents.get(3)).isEqualTo(made.get(made.size() - 2).toString());
        } finally {
            given().auth().oauth2(Tokens.admin()).delete("/api/schedules/{id}", schedule);
        }
    }

    @Test
    void copyingAnIncrementalBackupCopiesTheBackupsHoldingItsContentsToo() throws Exception {
        UUID fullId =
                UUID.fromString(backup("{\"backup_type\":\"media\"}").get("id").asText());
        mutate();
        UUID incId = UUID.fromString(backup("{\"backup_type\":\"media\",\"incremental\":true}")
                .get("id")
                .asText());
        BackupCopyTest.copy(incId, "offsite").then().statusCode(202);
        assertThat(BackupCopyTest.awaitCopy(incId, "offsite").get("status").asText())
                .isEqualTo("SUCCEEDED");
        JsonNode holderCopy = BackupCopyTest.awaitCopy(fullId, "offsite");
        assertThat(holderCopy.get("status").asText())
                .as("the holder was copied too")
                .isEqualTo("SUCCEEDED");
        for (UUID id : List.of(fullId, incId)) {
            assertThat(Files.readAllBytes(BackupCopyTest.OFFSITE.resolve(id + ".tar")))
                    .isEqualTo(Files.readAllBytes(BackupApiTest.STORAGE.resolve(id + ".tar")));
        }
    }

    @Test
    void incrementalFieldsAreCheckedAndNamed() {
        for (String[] c : new String[][] {
            {"{\"backup_type\":\"database\",\"incremental\":true}", "incremental"},
            {"{\"backup_type\":\"media\",\"rehash\":true}", "rehash"},
            {"{\"backup_type\":\"media\",\"full_every\":3}", "full_every"},
            {"{\"backup_type\":\"media\",\"incremental\":true,\"full_every\":0}", "full_every"}
        }) {
            Response r = given().auth()
                    .oauth2(Tokens.operator())
                    .contentType("application/json")
                    .body(c[0])
                    .post("/api/backups");
            r.then().statusCode(400);
            assertThat(r.asString()).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void aCatalogImportRestoresTheChainAndItsGuard() throws Exception {
        AppDatabase.reset();
        UUID fullId = UUID.fromString(backup("{\"backup_type\":\"media\",\"name\":\"chain-full\"}")
                .get("id")
                .asText());
        mutate();
        UUID incId = UUID.fromString(backup("{\"backup_type\":\"media\",\"name\":\"chain-inc\",\"incremental\":true}")
                .get("id")
                .asText());
        // Both rows lost (the incremental one first: the holder's key refuses otherwise).
        AppDatabase.exec(
                TestDatabase.CATALOG_DB,
                "DELETE FROM holdfast.backup WHERE id = '" + incId + "'",
                "DELETE FROM holdfast.backup WHERE id = '" + fullId + "'");
        JsonNode imported = CatalogImportTest.runImport();
        assertThat(imported.get("imported").toString())
                .contains(fullId.toString())
                .contains(incId.toString());
        JsonNode inc = BackupApiTest.awaitBackup(incId);
        assertThat(inc.get("chain_length").asInt()).isEqualTo(1);
        assertThat(inc.get("incremental").asBoolean()).isTrue();
        assertThat(inc.get("referenced_backups").toString()).contains(fullId.toString());
        given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{\"protected\": false}")
                .put("/api/backups/{id}/protection", fullId)
                .then()
                .statusCode(200);
        given().auth()
                .oauth2(Tokens.admin())
                .delete("/api/backups/{id}", fullId)
                .then()
                .statusCode(409);
        // And the imported index is a base again: the next incremental backup refers to both.
        Files.writeString(ROOT.resolve("d0/new-after-import.txt"), "x");
        JsonNode next = backup("{\"backup_type\":\"media\",\"incremental\":true}");
        assertThat(next.get("chain_length").asInt()).isEqualTo(2);
        assertThat(next.get("referenced_backups").toString()).contains(fullId.toString());
        assertThat(next.at("/summary/media/0/referenced_files").asLong()).isEqualTo(40);
    }

    /** Two files changed, one deleted, one added, one renamed. */
    private static String indexRows(UUID backup) {
        return TestDatabase.query(
                TestDatabase.CATALOG_DB,
                "SELECT count(*) FROM holdfast.media_index WHERE backup_id = '" + backup + "'");
    }

    private static void mutate() throws Exception {
        Files.writeString(ROOT.resolve("d0/f1.bin"), "changed");
        Files.writeString(ROOT.resolve("d2/f2.bin"), "changed too");
        Files.delete(ROOT.resolve("d3/f9.bin"));
        Files.writeString(ROOT.resolve("d3/new.txt"), "added");
        Files.move(ROOT.resolve("d2/f5.bin"), ROOT.resolve("d2/renamed.bin"));
    }

    private JsonNode backup(String body) {
        UUID id = BackupApiTest.create(body);
        made.add(id);
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        return b;
    }

    private static JsonNode verify(UUID id) throws Exception {
        String job = BackupApiTest.verifyJob(id);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> List.of("SUCCEEDED", "FAILED").contains(BackupApiTest.jobState(job)));
        return JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/jobs/{id}", job)
                .asString());
    }

    private static void clear() throws Exception {
        if (Files.exists(ROOT)) {
            try (Stream<Path> s = Files.walk(ROOT)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(ROOT);
    }
}
