package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.backup.BackupFinished;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupType;
import dev.holdfast.backup.VerificationFinished;
import dev.holdfast.config.NotificationConfig;
import dev.holdfast.restore.RestoreFinished;
import dev.holdfast.restore.RestoreStatus;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What messages say, without a mail server: subjects, lines, links, sizes and the webhook JSON. */
class MessagesTest {
    static final Instant START = Instant.parse("2025-03-01T03:00:00.250Z");
    static final UUID ID = UUID.fromString("00000000-0000-0000-0000-0000000000b1");

    static BackupFinished backup(String name, BackupStatus status, Long size, String error) {
        return new BackupFinished(
                ID,
                name,
                BackupType.FULL,
                status,
                List.of("app"),
                List.of("uploads"),
                "api",
                null,
                null,
                size,
                START,
                START.plusSeconds(252),
                error,
                status == BackupStatus.SUCCEEDED ? 1234567 : 0,
                status == BackupStatus.SUCCEEDED ? 9_000_000 : 0);
    }

    @Test
    void successNamesEverythingAndLinksToTheBackup() {
        Notification n = new Messages("https://holdfast.example.com//")
                .backup(backup("nightly", BackupStatus.SUCCEEDED, 1_572_864L, null));
        assertThat(n.event()).isEqualTo("backup.succeeded");
        assertThat(n.outcome()).isEqualTo(NotificationConfig.Outcome.SUCCESS);
        assertThat(n.subject()).isEqualTo("[Holdfast] Backup 'nightly' SUCCEEDED");
        assertThat(n.text())
                .contains("Backup 'nightly' succeeded.\n\n")
                .contains("Sources:    databases app; media uploads\n")
                .contains("Trigger:    api\n")
                .contains("Size:       1.5 MiB (1,572,864 bytes)\n")
                .contains("Rows:       1,234,567\n")
                .contains("Data read:  8.6 MiB (9,000,000 bytes)\n")
                .contains("Duration:   4 min 12 s\n")
                .contains("Started:    2025-03-01T03:00:00Z (UTC)\n")
                .contains("Details:    https://holdfast.example.com/api/backups/" + ID + "\n")
                .doesNotContain("Error");
        assertThat(n.payload().get("backup").get("url").asText())
                .isEqualTo("https://holdfast.example.com/api/backups/" + ID);
        assertThat(n.payload().get("backup").get("duration_seconds").asDouble()).isEqualTo(252.0);
        assertThat(n.payload().get("occurred_at").asText()).isEqualTo("2025-03-01T03:04:12.250Z");
    }

    @Test
    void withoutABaseUrlThereIsNoLinkAndHostileNamesStayInert() {
        Notification n = new Messages(null)
                .backup(backup(
                        "evil\r\nBcc: x@example.com <script>",
                        BackupStatus.FAILED,
                        null,
                        "disk full\ncaused by: ENOSPC"));
        assertThat(n.subject()).isEqualTo("[Holdfast] Backup 'evil Bcc: x@example.com <script>' FAILED");
        assertThat(n.text())
                .doesNotContain("Details:")
                .doesNotContain("Size:")
                .doesNotContain("Rows:")
                .contains("Error:      disk full\n            caused by: ENOSPC\n");
        assertThat(n.html())
                .doesNotContain("<script>")
                .contains("&lt;script&gt;")
                .doesNotContain("href");
        assertThat(n.payload().get("backup").get("url").isNull()).isTrue();
        assertThat(n.payload().get("backup").get("error").asText()).isEqualTo("disk full\ncaused by: ENOSPC");
    }

    @Test
    void restoresSayTheirModeDryRunAndPreRestoreBackup() {
        UUID restore = UUID.fromString("00000000-0000-0000-0000-0000000000e1");
        UUID pre = UUID.fromString("00000000-0000-0000-0000-0000000000b2");
        RestoreFinished dry = new RestoreFinished(
                restore,
                ID,
                "replace",
                true,
                null,
                RestoreStatus.SUCCEEDED,
                List.of("app"),
                List.of(),
                START,
                START.plusMillis(850),
                null,
                0,
                "alice");
        Notification d = new Messages("https://h.example").restore(dry, new Messages.RestoreContext("nightly", null));
        assertThat(d.subject()).isEqualTo("[Holdfast] Dry-run restore of backup 'nightly' SUCCEEDED");
        assertThat(d.text())
                .containsPattern("Dry run: +yes: nothing was changed\n")
                .containsPattern("Duration: +850 ms\n")
                .doesNotContain("Rows loaded")
                .doesNotContain("Pre-restore");
        RestoreFinished failed = new RestoreFinished(
                restore,
                ID,
                "clean",
                false,
                null,
                RestoreStatus.FAILED,
                List.of("app"),
                List.of(),
                START,
                START.plusSeconds(3),
                "validation failed",
                0,
                "alice");
        Notification f = new Messages("https://h.example").restore(failed, new Messages.RestoreContext(null, pre));
        assertThat(f.event()).isEqualTo("restore.failed");
        assertThat(f.subject()).isEqualTo("[Holdfast] Restore of backup '" + ID + "' FAILED");
        assertThat(f.text())
                .containsPattern("Pre-restore backup: +" + pre)
                .containsPattern("Error: +validation failed")
                .containsPattern("Details: +https://h.example/api/restores/" + restore);
        assertThat(f.payload().get("restore").get("pre_backup_id").asText()).isEqualTo(pre.toString());
        assertThat(f.payload().get("backup").get("url").asText()).isEqualTo("https://h.example/api/backups/" + ID);
    }

    @Test
    void aFailedVerificationIsAFailure() {
        Notification n = new Messages("https://h.example")
                .verificationFailed(
                        new VerificationFinished(ID, "nightly", List.of("app", "uploads"), false, 2, START));
        assertThat(n.event()).isEqualTo("verify.failed");
        assertThat(n.outcome()).isEqualTo(NotificationConfig.Outcome.FAILURE);
        assertThat(n.subject()).isEqualTo("[Holdfast] Verification of backup 'nightly' FAILED");
        assertThat(n.payload().get("verification").get("failures").asInt()).isEqualTo(2);
        assertThat(n.payload().get("backup").get("sources").toString()).isEqualTo("[\"app\",\"uploads\"]");
    }

    @Test
    void theTriggerNamesTheSchedule() {
        UUID schedule = UUID.fromString("00000000-0000-0000-0000-0000000000c1");
        BackupFinished runNow = new BackupFinished(
                ID,
                "n",
                BackupType.DATABASE,
                BackupStatus.FAILED,
                List.of("app"),
                List.of(),
                "api",
                schedule,
                "nightly",
                null,
                START,
                START.plusSeconds(1),
                "x",
                0,
                0);
        assertThat(new Messages(null).backup(runNow).text())
                .containsPattern("Trigger: +api, schedule 'nightly' \\(" + schedule + "\\)\n");
        BackupFinished deleted = new BackupFinished(
                ID,
                "n",
                BackupType.DATABASE,
                BackupStatus.FAILED,
                List.of("app"),
                List.of(),
                "schedule",
                schedule,
                null,
                null,
                START,
                START.plusSeconds(1),
                "x",
                0,
                0);
        assertThat(new Messages(null).backup(deleted).text()).containsPattern("Trigger: +schedule " + schedule + "\n");
    }

    @Test
    void sizesAndDurationsReadNaturally() {
        assertThat(Messages.size(0)).isEqualTo("0 bytes");
        assertThat(Messages.size(1023)).isEqualTo("1,023 bytes");
        assertThat(Messages.size(1536)).isEqualTo("1.5 KiB (1,536 bytes)");
        assertThat(Messages.size(5L << 30)).isEqualTo("5.0 GiB (5,368,709,120 bytes)");
        assertThat(Messages.duration(START, START.plusMillis(12_340))).isEqualTo("12.3 s");
        assertThat(Messages.duration(START, START.plusSeconds(3780))).isEqualTo("1 h 3 min");
        assertThat(Messages.duration(null, START)).isNull();
    }
}
