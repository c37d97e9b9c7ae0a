package dev.holdfast.media;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Media backups and restores through the API, on the configured root {@code uploads}. */
@QuarkusTest
class MediaApiTest {
    static final Object RESOURCES = TestResources.class;
    static final Path ROOT = Path.of("target/test-media/uploads");
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeEach
    void tree() throws Exception {
        if (Files.exists(ROOT)) {
            try (Stream<Path> s = Files.walk(ROOT)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(ROOT.resolve("photos/2024"));
        Files.createDirectories(ROOT.resolve("empty dir"));
        Files.createDirectories(ROOT.resolve("cache"));
        byte[] photo = new byte[300_000];
        new Random(7).nextBytes(photo);
        Files.write(ROOT.resolve("photos/2024/beach.jpg"), photo);
        Files.writeString(ROOT.resolve("photos/notes ünïcødé.txt"), "hello\n".repeat(1000));
        Files.writeString(ROOT.resolve("readme.txt"), "read me");
        Files.writeString(ROOT.resolve("cache/skip.bin"), "never backed up");
        Files.createFile(ROOT.resolve("empty.txt"));
        Files.setPosixFilePermissions(ROOT.resolve("readme.txt"), PosixFilePermissions.fromString("r--r-----"));
        Files.createSymbolicLink(ROOT.resolve("latest"), Path.of("photos/2024/beach.jpg"));
    }

    @Test
    void mediaBackupStoresEveryFileWithItsChecksumAndRestoreReplacesTheTreeExactly() throws Exception {
        Map<String, String> before = MediaTestSupport.snapshot(ROOT);
        UUID backup = BackupApiTest.create("{\"backup_type\":\"media\"}");
        JsonNode b = BackupApiTest.awaitBackup(backup);
        assertThat(b.get("status").asText()).as(b.toString()).isEqualTo("SUCCEEDED");
        JsonNode media = b.get("summary").get("media").get(0);
        assertThat(media.get("source").asText()).isEqualTo("uploads");
        assertThat(media.get("files").asLong()).isEqualTo(4);
        assertThat(media.get("complete").asBoolean()).isTrue();

        Manifest m = ArchiveReader.open(BackupApiTest.STORAGE.resolve(backup + ".tar"))
                .manifest();
        Manifest.MediaSection section = m.media().get(0);
        assertThat(section.files())
                .extracting(Manifest.MediaFile::path)
                .containsExactlyInAnyOrder(
                        "empty.txt", "photos/2024/beach.jpg", "photos/notes ünïcødé.txt", "readme.txt");
        for (Manifest.MediaFile f : section.files()) {
            assertThat(f.sha256()).isEqualTo(MediaTestSupport.sha(ROOT.resolve(f.path())));
        }
        assertThat(m.entry(section.files().stream()
                                .filter(f -> f.path().endsWith(".jpg"))
                                .findFirst()
                                .orElseThrow()
                                .entry())
                        .codec()
                        .jsonName())
                .isEqualTo("none");

        // Damage the tree, then restore it.
        Files.writeString(ROOT.resolve("readme.txt.new"), "added later");
        Files.delete(ROOT.resolve("photos/2024/beach.jpg"));
        Files.writeString(ROOT.resolve("photos/notes ünïcødé.txt"), "overwritten");
        Response r = given().auth()
                .oauth2(Tokens.admin())
                .contentType("application/json")
                .body("{}")
                .post("/api/backups/{id}/restore", backup);
        r.then().statusCode(202);
        String id = r.jsonPath().getString("resource.id");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> !given().auth()
                        .oauth2(Tokens.viewer())
                        .get("/api/restores/{id}", id)
                        .jsonPath()
                        .getString("status")
                        .matches("QUEUED|RUNNING"));
        JsonNode done = JSON.readTree(given().auth()
                .oauth2(Tokens.viewer())
                .get("/api/restores/{id}", id)
                .asString());
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
        Map<String, String> after = MediaTestSupport.snapshot(ROOT);
        // cache/** is excluded from the root's backups, so out of the restore's reach: still there, as it was.
        assertThat(after).isEqualTo(before);
        assertThat(ROOT.resolve("cache/skip.bin")).hasContent("never backed up");
        assertThat(done.get("report").get("media").get(0).get("removed").toString())
                .contains("readme.txt.new");
        assertThat(done.get("pre_backup_id").isNull()).isFalse();
    }
}
