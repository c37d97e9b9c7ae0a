package dev.holdfast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import io.restassured.path.json.JsonPath;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The catalog database is lost: a fresh service on an empty catalog, pointed at the same storage, imports the
 * archives it finds, and restores the data from the imported backup, row for row.
 */
class CatalogRebuiltIT {
    static final String LOST_CATALOG = "holdfast_rebuild_lost" + TestDatabase.SUFFIX;
    static final String NEW_CATALOG = "holdfast_rebuild_new" + TestDatabase.SUFFIX;
    static final String APP = "holdfast_rebuild_app" + TestDatabase.SUFFIX;
    static final String ISSUER = "https://holdfast-rebuild-it.example";

    @Test
    void aFreshServiceOnAnEmptyCatalogImportsTheArchivesAndRestoresFromThem() throws Exception {
        for (String db : List.of(LOST_CATALOG, NEW_CATALOG, APP)) {
            TestDatabase.dropDatabase(db);
            TestDatabase.ensureDatabase(db);
        }
        AppDatabase.load(APP);
        Map<String, String> before = AppDatabase.tableHashes(APP);
        Path storage = Files.createTempDirectory("holdfast-rebuild-it");
        KeyPair key = PackagedService.Settings.newKey();
        try {
            String backupId;
            String sha;
            PackagedService first = PackagedService.start(
                    new PackagedService.Settings(LOST_CATALOG, APP, storage, key, ISSUER),
                    "rebuild-it-a",
                    "target/rebuild-it-a.log");
            try {
                backupId = first.post("/api/backups", "{\"name\":\"last-good\",\"backup_type\":\"database\"}")
                        .getString("resource.id");
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> Set.of("SUCCEEDED", "FAILED")
                                .contains(first.get("/api/backups/" + backupId).getString("status")));
                JsonPath b = first.get("/api/backups/" + backupId);
                assertThat(b.getString("status")).isEqualTo("SUCCEEDED");
                sha = b.getString("sha256");
            } finally {
                first.stop();
            }
            // The catalog is gone for good.
            TestDatabase.dropDatabase(LOST_CATALOG);

            PackagedService second = PackagedService.start(
                    new PackagedService.Settings(NEW_CATALOG, APP, storage, key, ISSUER),
                    "rebuild-it-b",
                    "target/rebuild-it-b.log");
            try {
                assertThat(second.get("/api/backups").getInt("total_items")).isZero();
                JsonPath result = importAll(second);
                assertThat(result.getList("imported", String.class)).containsExactly(backupId);
                assertThat(result.getList("failed")).isEmpty();
                JsonPath b = second.get("/api/backups/" + backupId);
                assertThat(b.getString("status")).isEqualTo("SUCCEEDED");
                assertThat(b.getString("name")).isEqualTo("last-good");
                assertThat(b.getString("sha256")).isEqualTo(sha);
                assertThat(b.getBoolean("is_protected")).isTrue();

                AppDatabase.exec(
                        APP,
                        "UPDATE public.employee SET name = 'changed after the disaster'",
                        "DELETE FROM public.profile");
                String restoreId = second.post(
                                "/api/backups/" + backupId + "/restore",
                                "{\"restore_mode\":\"replace\",\"create_pre_backup\":false}")
                        .getString("resource.id");
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> !Set.of("QUEUED", "RUNNING")
                                .contains(
                                        second.get("/api/restores/" + restoreId).getString("status")));
                assertThat(second.get("/api/restores/" + restoreId).getString("status"))
                        .isEqualTo("SUCCEEDED");
                assertThat(AppDatabase.tableHashes(APP)).isEqualTo(before);

                assertThat(importAll(second).getList("imported")).isEmpty();
            } finally {
                second.stop();
            }
        } finally {
            for (String db : List.of(LOST_CATALOG, NEW_CATALOG, APP)) {
                TestDatabase.dropDatabase(db);
            }
            try (Stream<Path> files = Files.walk(storage)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    /** Runs a catalog import and returns its job's result. */
    static JsonPath importAll(PackagedService s) {
        String job = s.post("/api/catalog/import", "{}").getString("job.id");
        await().atMost(Duration.ofSeconds(120))
                .until(() -> Set.of("SUCCEEDED", "FAILED")
                        .contains(s.get("/api/jobs/" + job).getString("state")));
        JsonPath j = s.get("/api/jobs/" + job);
        assertThat(j.getString("state")).as(j.prettify()).isEqualTo("SUCCEEDED");
        return new JsonPath(j.prettify()).setRootPath("result");
    }
}
