package dev.holdfast.restore;

import static dev.holdfast.restore.RestoreApiTest.awaitRestore;
import static dev.holdfast.restore.RestoreApiTest.restore;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.media.MediaTestSupport;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Restores write only where they are allowed and only what they were asked to (design principle 8): targets
 * confined to configured sources and target patterns, selective restores that leave the rest alone, excluded
 * media paths out of reach, and a pre-restore backup of every target that holds data.
 */
@QuarkusTest
public class RestoreConfinementTest {
    static final Object RESOURCES = TestResources.class;
    static final Path ROOT = Path.of("target/test-media/uploads");
    /** holdfast.restore.media-targets in the test profile. */
    static final Path PREFIX = Path.of("target/test-restore-targets");

    @BeforeEach
    void fixture() throws Exception {
        AppDatabase.reset();
        for (Path p : List.of(ROOT, PREFIX)) {
            delete(p);
        }
        Files.createDirectories(ROOT.resolve("photos"));
        Files.createDirectories(ROOT.resolve("cache/thumbs"));
        Files.createDirectories(PREFIX);
        Files.writeString(ROOT.resolve("photos/a.jpg"), "photo a");
        Files.writeString(ROOT.resolve("readme.txt"), "read me");
        // The test root excludes cache/** from its backups.
        Files.writeString(ROOT.resolve("cache/thumbs/a.png"), "thumbnail, never backed up");
    }

    static void delete(Path p) throws Exception {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> {
                    f.toFile().setWritable(true);
                    f.toFile().delete();
                });
            }
        }
    }

    static UUID backupOf(String body) {
        UUID id = BackupApiTest.create(body);
        JsonNode b = BackupApiTest.awaitBackup(id);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        return id;
    }

    static Response post(UUID backup, String body) {
        return given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body(body)
                .post("/api/backups/{id}/restore", backup);
    }

    static void assertRefused(UUID backup, String body, int status, String field, String rule) {
        Response r = post(backup, body);
        r.then().statusCode(status).contentType("application/problem+json");
        if (field != null) {
            assertThat(r.jsonPath().getString("violations[0].field"))
                    .as(r.asString())
                    .isEqualTo(field);
        }
        assertThat(r.jsonPath().getString("detail")).as(body).contains(rule);
    }

    static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    // --- item 4: a restore touches only what it was asked to --------------------------------------

    @Test
    void restoringTablesOfAFullBackupLeavesTheMediaRootAlone() throws Exception {
        UUID backup = backupOf("{\"backup_type\":\"full\"}");
        AppDatabase.exec(TestDatabase.APP_DB, "TRUNCATE public.profile");
        Map<String, String> mutated = AppDatabase.tableHashes(TestDatabase.APP_DB);
        Files.writeString(ROOT.resolve("uploaded-since.txt"), "a user's upload after the backup");
        Files.writeString(ROOT.resolve("readme.txt"), "edited since");
        Map<String, String> media = MediaTestSupport.snapshot(ROOT);

        JsonNode r = awaitRestore(restore(backup, "{\"tables\":[\"public.profile\"]}"));
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB).get("public.profile"))
                .isNotEqualTo(mutated.get("public.profile"));
        assertThat(MediaTestSupport.snapshot(ROOT)).isEqualTo(media);
        assertThat(ROOT.resolve("uploaded-since.txt")).hasContent("a user's upload after the backup");
        assertThat(r.get("report").get("media")).isEmpty();

        // Asking for media as well still restores them.
        JsonNode both = awaitRestore(restore(backup, "{\"tables\":[\"public.profile\"],\"include_media\":true}"));
        assertThat(both.get("status").asText()).as(both.toString()).isEqualTo("SUCCEEDED");
        assertThat(ROOT.resolve("uploaded-since.txt")).doesNotExist();
        assertThat(ROOT.resolve("readme.txt")).hasContent("read me");
    }

    @Test
    void aReplaceRestoreNeverRemovesOrOverwritesPathsTheBackupExcludes() throws Exception {
        UUID backup = backupOf("{\"backup_type\":\"media\"}");
        Files.writeString(ROOT.resolve("cache/thumbs/b.png"), "a thumbnail made after the backup");
        Files.writeString(ROOT.resolve("cache/top.bin"), "cache file made after the backup");
        Files.writeString(ROOT.resolve("photos/b.jpg"), "uploaded after the backup");

        JsonNode dry = awaitRestore(restore(backup, "{\"dry_run\":true}"));
        assertThat(dry.get("status").asText()).as(dry.toString()).isEqualTo("SUCCEEDED");
        JsonNode plan = dry.get("report").get("media").get(0);
        assertThat(plan.get("removed").toString()).contains("photos/b.jpg").doesNotContain("cache");

        JsonNode r = awaitRestore(restore(backup, "{}"));
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(ROOT.resolve("photos/b.jpg")).doesNotExist();
        assertThat(ROOT.resolve("cache/thumbs/a.png")).hasContent("thumbnail, never backed up");
        assertThat(ROOT.resolve("cache/thumbs/b.png")).hasContent("a thumbnail made after the backup");
        assertThat(ROOT.resolve("cache/top.bin")).hasContent("cache file made after the backup");
        JsonNode m = r.get("report").get("media").get(0);
        assertThat(m.get("removed").toString()).doesNotContain("cache");
        assertThat(m.get("kept").toString()).contains("cache/thumbs").contains("cache/top.bin");
        try (Stream<Path> s = Files.list(ROOT.toAbsolutePath().getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".holdfast-"));
        }

        // The rollback brings back what the restore removed, and the excluded files are still there.
        Response rb = given().auth()
                .oauth2(Tokens.admin())
                .post("/api/restores/{id}/rollback", r.get("id").asText());
        rb.then().statusCode(202);
        JsonNode back = awaitRestore(UUID.fromString(rb.jsonPath().getString("resource.id")));
        assertThat(back.get("status").asText()).as(back.toString()).isEqualTo("SUCCEEDED");
        assertThat(ROOT.resolve("photos/b.jpg")).hasContent("uploaded after the backup");
        assertThat(ROOT.resolve("cache/thumbs/a.png")).hasContent("thumbnail, never backed up");
        assertThat(ROOT.resolve("cache/thumbs/b.png")).hasContent("a thumbnail made after the backup");
    }

    // --- item 5: media targets are confined --------------------------------------------------------

    @Test
    void aMediaTargetOutsideTheRootsAndTheConfiguredPrefixesIsRefusedAndNothingIsTouched() throws Exception {
        UUID backup = backupOf("{\"backup_type\":\"media\"}");
        Path victim = Files.createTempDirectory("holdfast-victim");
        Files.writeString(victim.resolve("precious.txt"), "must survive");
        Path prefix = PREFIX.toRealPath();
        Files.createSymbolicLink(prefix.resolve("link"), victim);
        Files.writeString(prefix.resolve("a-file"), "not a directory");
        try {
            String rule = "neither a configured media root nor a directory below one of holdfast.restore.media-targets";
            for (String dry : List.of("true", "false")) {
                assertRefused(backup, "{\"dry_run\":" + dry + ",\"media_target\":\"/etc\"}", 400, "media_target", rule);
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":" + json(victim.toString()) + "}",
                        400,
                        "media_target",
                        rule);
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":\"\"}",
                        400,
                        "media_target",
                        "must not be empty");
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":\"src\"}",
                        400,
                        "media_target",
                        "must be an absolute path");
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":\"/tmp/x/../../root\"}",
                        400,
                        "media_target",
                        "'..' segment");
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":" + json(prefix + "/../escape") + "}",
                        400,
                        "media_target",
                        "'..' segment");
                // The prefix itself is not a target: a restore would replace it whole.
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":" + json(prefix.toString()) + "}",
                        400,
                        "media_target",
                        rule);
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":" + json(prefix + "/link/sub") + "}",
                        400,
                        "media_target",
                        "is a symbolic link");
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":" + json(prefix + "/link") + "}",
                        400,
                        "media_target",
                        "is a symbolic link");
                assertRefused(
                        backup,
                        "{\"dry_run\":" + dry + ",\"media_target\":" + json(prefix + "/a-file/x") + "}",
                        400,
                        "media_target",
                        "is not a directory");
            }
            assertThat(victim.resolve("precious.txt")).hasContent("must survive");
            try (Stream<Path> s = Files.list(victim)) {
                assertThat(s.toList()).hasSize(1);
            }

            // Below the prefix, by its real path: allowed, and a new directory needs no pre-restore backup.
            Path fresh = prefix.resolve("restored/uploads");
            JsonNode r = awaitRestore(restore(backup, "{\"media_target\":" + json(fresh.toString()) + "}"));
            assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
            assertThat(fresh.resolve("photos/a.jpg")).hasContent("photo a");
            // The backup holds the cache directory, not what its exclude left out.
            assertThat(fresh.resolve("cache/thumbs")).doesNotExist();
            assertThat(r.get("pre_backup_id").isNull()).isTrue();
        } finally {
            delete(victim);
        }
    }

    // --- item 6: database targets are confined ---------------------------------------------------------

    @Test
    void aTargetDatabaseOutsideTheSourcesAndPatternsIsRefusedAndKeepsItsData() throws Exception {
        UUID backup = RestoreApiTest.backup();
        String rule = "neither a configured source's database on this server nor matches "
                + "holdfast.restore.database-targets";
        String stranger = dev.holdfast.support.TestDatabase.throwaway("holdfast_stranger_");
        String template = dev.holdfast.support.TestDatabase.throwaway("holdfast_target_tpl_");
        AppDatabase.exec("postgres", "CREATE DATABASE " + stranger, "CREATE DATABASE " + template);
        try {
            AppDatabase.exec(
                    stranger, "CREATE TABLE public.precious (id int)", "INSERT INTO public.precious VALUES (1), (2)");
            AppDatabase.exec(
                    template, "CREATE TABLE public.precious (id int)", "INSERT INTO public.precious VALUES (3)");
            AppDatabase.exec("postgres", "ALTER DATABASE " + template + " IS_TEMPLATE true");
            Map<String, String> strangerData = AppDatabase.tableHashes(stranger);
            Map<String, String> templateData = AppDatabase.tableHashes(template);
            long catalogRestores = count(TestDatabase.CATALOG_DB, "holdfast.restore_operation");
            for (String mode : List.of("replace", "clean")) {
                for (String dry : List.of("true", "false")) {
                    String head =
                            "{\"restore_mode\":\"" + mode + "\",\"dry_run\":" + dry + ",\"create_pre_backup\":false,";
                    for (String never : List.of("postgres", "template0", "template1")) {
                        assertRefused(
                                backup,
                                head + "\"target\":\"" + never + "\"}",
                                400,
                                "target",
                                "is a template or the maintenance database");
                    }
                    assertRefused(
                            backup,
                            head + "\"target\":\"" + TestDatabase.CATALOG_DB + "\"}",
                            400,
                            "target",
                            "Holdfast's own catalog database");
                    assertRefused(backup, head + "\"target\":\"" + stranger + "\"}", 400, "target", rule);
                    // Matches the test profile's holdfast_target_* pattern, but is a template.
                    assertRefused(backup, head + "\"target\":\"" + template + "\"}", 400, "target", "datistemplate");
                }
            }
            assertThat(count(TestDatabase.CATALOG_DB, "holdfast.restore_operation"))
                    .isEqualTo(catalogRestores);
            assertThat(AppDatabase.tableHashes(stranger)).isEqualTo(strangerData);
            AppDatabase.exec("postgres", "ALTER DATABASE " + template + " IS_TEMPLATE false");
            assertThat(AppDatabase.tableHashes(template)).isEqualTo(templateData);
        } finally {
            AppDatabase.exec("postgres", "ALTER DATABASE " + template + " IS_TEMPLATE false");
            TestDatabase.dropDatabase(template);
            TestDatabase.dropDatabase(stranger);
        }
    }

    static long count(String database, String table) throws Exception {
        try (var c = TestDatabase.connect(database);
                var st = c.createStatement();
                var rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // --- item 7: every target that holds data gets a pre-restore backup ---------------------------

    @Test
    void aTargetThatNamesAConfiguredSourcesDatabaseIsBackedUpFirstAndCanBeRolledBack() throws Exception {
        UUID backup = RestoreApiTest.backup();
        RestoreApiTest.mutate();
        Map<String, String> mutated = AppDatabase.tableHashes(TestDatabase.APP_DB);

        JsonNode r = awaitRestore(restore(backup, "{\"target\":\"" + TestDatabase.APP_DB + "\"}"));
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(r.get("pre_backup_id").isNull()).as(r.toString()).isFalse();
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isNotEqualTo(mutated);

        Response rb = given().auth()
                .oauth2(Tokens.admin())
                .post("/api/restores/{id}/rollback", r.get("id").asText());
        rb.then().statusCode(202);
        JsonNode back = awaitRestore(UUID.fromString(rb.jsonPath().getString("resource.id")));
        assertThat(back.get("status").asText()).as(back.toString()).isEqualTo("SUCCEEDED");
        assertThat(AppDatabase.tableHashes(TestDatabase.APP_DB)).isEqualTo(mutated);
    }

    @Test
    void aTargetDatabaseThatHoldsDataAndIsNoSourceIsRefusedUnlessRollbackIsGivenUp() throws Exception {
        Map<String, String> source = AppDatabase.tableHashes(TestDatabase.APP_DB);
        UUID backup = RestoreApiTest.backup();
        String target = dev.holdfast.support.TestDatabase.throwaway("holdfast_target_");
        AppDatabase.exec("postgres", "CREATE DATABASE " + target);
        try {
            AppDatabase.load(target);
            AppDatabase.exec(target, "INSERT INTO public.auth_user VALUES (2, 'only here')");
            Map<String, String> before = AppDatabase.tableHashes(target);
            for (String mode : List.of("replace", "clean")) {
                assertRefused(
                        backup,
                        "{\"restore_mode\":\"" + mode + "\",\"target\":\"" + target + "\"}",
                        409,
                        null,
                        "set create_pre_backup to false to give up rollback");
            }
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(before);

            JsonNode r = awaitRestore(restore(backup, "{\"target\":\"" + target + "\",\"create_pre_backup\":false}"));
            assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
            assertThat(r.get("report").get("pre_backup").asText()).contains("create_pre_backup is false");
            assertThat(AppDatabase.tableHashes(target)).isEqualTo(source);
        } finally {
            TestDatabase.dropDatabase(target);
        }
    }

    @Test
    void aMediaTargetThatIsTheConfiguredRootIsBackedUpFirstAndCanBeRolledBack() throws Exception {
        UUID backup = backupOf("{\"backup_type\":\"media\"}");
        Files.writeString(ROOT.resolve("readme.txt"), "edited since");
        Files.writeString(ROOT.resolve("photos/b.jpg"), "uploaded since");
        Map<String, String> mutated = MediaTestSupport.snapshot(ROOT);

        JsonNode r = awaitRestore(
                restore(backup, "{\"media_target\":" + json(ROOT.toRealPath().toString()) + "}"));
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(r.get("pre_backup_id").isNull()).as(r.toString()).isFalse();
        assertThat(ROOT.resolve("readme.txt")).hasContent("read me");
        assertThat(ROOT.resolve("photos/b.jpg")).doesNotExist();

        Response rb = given().auth()
                .oauth2(Tokens.admin())
                .post("/api/restores/{id}/rollback", r.get("id").asText());
        rb.then().statusCode(202);
        JsonNode back = awaitRestore(UUID.fromString(rb.jsonPath().getString("resource.id")));
        assertThat(back.get("status").asText()).as(back.toString()).isEqualTo("SUCCEEDED");
        assertThat(ROOT.resolve("readme.txt")).hasContent("edited since");
        assertThat(ROOT.resolve("photos/b.jpg")).hasContent("uploaded since");
        assertThat(ROOT.resolve("cache/thumbs/a.png")).hasContent("thumbnail, never backed up");
    }

    @Test
    void aMediaTargetThatHoldsFilesAndIsNoRootIsRefusedUnlessRollbackIsGivenUp() throws Exception {
        UUID backup = backupOf("{\"backup_type\":\"media\"}");
        Path target = Files.createDirectories(PREFIX.toRealPath().resolve("occupied"));
        Files.writeString(target.resolve("someone-elses.txt"), "not in any backup");
        assertRefused(
                backup,
                "{\"media_target\":" + json(target.toString()) + "}",
                409,
                null,
                "set create_pre_backup to false to give up rollback");
        assertThat(target.resolve("someone-elses.txt")).hasContent("not in any backup");

        JsonNode r = awaitRestore(
                restore(backup, "{\"media_target\":" + json(target.toString()) + ",\"create_pre_backup\":false}"));
        assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("SUCCEEDED");
        assertThat(target.resolve("someone-elses.txt")).doesNotExist();
        assertThat(target.resolve("photos/a.jpg")).hasContent("photo a");
    }
}
