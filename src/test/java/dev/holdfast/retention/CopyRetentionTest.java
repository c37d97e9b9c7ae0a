package dev.holdfast.retention;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.audit.AuditLog;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.backup.BackupCopyTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Retention per storage: a copy policy of keep-last 1 (as {@code holdfast.storage."offsite".retention.keep-last=1}
 * configures it) keeps the copy of the newest backup only; the older backups lose their copies there, and nothing
 * else. Applied directly, in the default test profile: a profile of its own would cost the suite another Quarkus
 * start, and the test JVM's heap is shared by every one of them.
 */
@QuarkusTest
class CopyRetentionTest {
    static final Object RESOURCES = TestResources.class;
    static final RetentionPolicy KEEP_ONE = new RetentionPolicy(1, null, null, null, null, null, null);

    @Inject
    CopyRetention copyRetention;

    @Test
    void onlyTheNewestBackupKeepsItsCopyAndEveryBackupStays() throws Exception {
        AppDatabase.reset();
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            UUID id = BackupApiTest.create(
                    "{\"name\":\"copy-retention-" + i + "\",\"backup_type\":\"database\",\"copy_to\":[\"offsite\"]}");
            assertThat(BackupCopyTest.awaitCopy(id, "offsite").get("status").asText())
                    .isEqualTo("SUCCEEDED");
            ids.add(id);
        }
        assertThat(copyRetention.apply("offsite", KEEP_ONE, AuditLog.SYSTEM)).isEmpty();

        for (int i = 0; i < 3; i++) {
            UUID id = ids.get(i);
            JsonNode b = BackupApiTest.awaitBackup(id);
            assertThat(b.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(Files.exists(BackupApiTest.STORAGE.resolve(id + ".tar"))).isTrue();
            boolean newest = i == 2;
            assertThat(Files.exists(BackupCopyTest.OFFSITE.resolve(id + ".tar")))
                    .as("copy of #" + i)
                    .isEqualTo(newest);
            assertThat(b.get("copies").size()).as(b.get("copies").toString()).isEqualTo(newest ? 1 : 0);
        }
        String audit = given().auth()
                .oauth2(Tokens.admin())
                .get("/api/audit?action=retention.delete-copy")
                .asString();
        assertThat(audit).contains(ids.get(0).toString()).contains(ids.get(1).toString());
        // Run again: nothing more to remove; and the test profile configures no copy policy, so the sweep has none.
        assertThat(copyRetention.apply("offsite", KEEP_ONE, AuditLog.SYSTEM)).isEmpty();
        assertThat(copyRetention.policies()).isEmpty();
        assertThat(Files.exists(BackupCopyTest.OFFSITE.resolve(ids.get(2) + ".tar")))
                .isTrue();
    }
}
