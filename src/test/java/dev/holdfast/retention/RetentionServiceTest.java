package dev.holdfast.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.audit.AuditLog;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupService;
import dev.holdfast.cluster.ClusterTasks;
import dev.holdfast.job.JobWorker;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.time.MovableTime;
import dev.holdfast.time.TimeSource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention through the real service on the real catalog: the never-delete rules, failures, the hook after a
 * scheduled backup and the once-per-cluster sweep. Each test checks which backups exist afterwards, row and archive.
 */
@QuarkusTest
class RetentionServiceTest {
    static final Object RESOURCES = TestResources.class;
    static final RetentionPolicy HARSH = new RetentionPolicy(0, null, null, null, null, null, "1s");

    @Inject
    RetentionService retention;

    @Inject
    RetentionRunner runner;

    @Inject
    BackupService backups;

    @Inject
    JobWorker worker;

    @Inject
    ObjectMapper mapper;

    MovableTime time;
    Instant now;

    @BeforeEach
    void clean() {
        Catalog.wipe();
        now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        time = new MovableTime(now);
        QuarkusMock.installMockForType(time, TimeSource.class);
    }

    Instant daysAgo(double days) {
        return now.minusSeconds((long) (days * 86_400));
    }

    static String source() {
        return "db-" + UUID.randomUUID().toString().substring(0, 8);
    }

    RetentionResult applyGlobal(RetentionPolicy p) {
        return retention.apply(null, p, "sub-tester", "tester");
    }

    @Test
    void theNewestVerifiedAndTheNewestSuccessfulBackupOfASourceSurviveAnyPolicy() {
        String src = source();
        UUID oldest = Catalog.ok("oldest", daysAgo(20), null, src);
        UUID verified = Catalog.ok("verified", daysAgo(10), null, src);
        Catalog.set(verified, "verify_ok", true);
        UUID badVerify = Catalog.ok("failed verification", daysAgo(5), null, src);
        Catalog.set(badVerify, "verify_ok", false);
        UUID newest = Catalog.ok("newest, not verified", daysAgo(2), null, src);

        RetentionResult r = applyGlobal(HARSH);

        assertThat(r.deleted()).extracting(RetentionResult.Deleted::id).containsExactlyInAnyOrder(oldest, badVerify);
        assertThat(r.failures()).isEmpty();
        assertThat(r.kept()).isEqualTo(2);
        assertThat(Catalog.exists(verified)).isTrue();
        assertThat(Catalog.exists(newest)).isTrue();
        assertThat(Catalog.exists(oldest)).isFalse();
        assertThat(Catalog.exists(badVerify)).isFalse();
        // Each deletion is audited with the acting user, the reason and the policy.
        List<String[]> audit = Catalog.audit(oldest);
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0)[0]).isEqualTo("sub-tester");
        assertThat(audit.get(0)[1]).isEqualTo("SUCCEEDED");
        assertThat(audit.get(0)[2])
                .contains("\"reason\": \"no rule keeps it\"")
                .contains("\"max_age\": \"1s\"")
                .contains("\"keep_last\": 0");
    }

    @Test
    void aProtectedBackupIsKeptUntilItsProtectionIsLifted() {
        String src = source();
        UUID guarded = Catalog.ok("guarded", daysAgo(60), null, src);
        Catalog.ok("newest", daysAgo(1), null, src);
        backups.setProtection(guarded, true);

        RetentionPreview preview = retention.preview(null, HARSH);
        assertThat(preview.backups())
                .filteredOn(i -> i.id().equals(guarded))
                .singleElement()
                .satisfies(i -> assertThat(i.reasons()).containsExactly("protected"));
        assertThat(applyGlobal(HARSH).deleted()).isEmpty();
        assertThat(Catalog.exists(guarded)).isTrue();

        backups.setProtection(guarded, false);
        assertThat(applyGlobal(HARSH).deleted())
                .extracting(RetentionResult.Deleted::id)
                .containsExactly(guarded);
        assertThat(Catalog.exists(guarded)).isFalse();
    }

    @Test
    void aBackupUsedByAQueuedOrRunningRestoreIsKept() {
        String src = source();
        UUID restored = Catalog.ok("being restored", daysAgo(40), null, src);
        UUID preOfRunning = Catalog.ok("pre-restore of a running restore", daysAgo(39), null, src);
        UUID newest = Catalog.ok("newest", daysAgo(1), null, src);
        UUID queued = Catalog.restore(restored, "QUEUED", null, daysAgo(40));
        // Its restore is older than keep-pre-restore-for: only "running" protects this pre-restore backup.
        UUID running = Catalog.restore(newest, "RUNNING", preOfRunning, daysAgo(30));

        RetentionPreview preview = retention.preview(null, HARSH);
        assertThat(preview.delete()).isZero();
        assertThat(preview.backups())
                .filteredOn(i -> i.id().equals(restored))
                .singleElement()
                .satisfies(i -> assertThat(i.reasons()).containsExactly("used by a queued or running restore"));
        assertThat(applyGlobal(HARSH).deleted()).isEmpty();
        assertThat(Catalog.exists(restored)).isTrue();
        assertThat(Catalog.exists(preOfRunning)).isTrue();

        Catalog.exec("UPDATE holdfast.restore_operation SET status = 'SUCCEEDED' WHERE id IN (?, ?)", queued, running);
        assertThat(applyGlobal(HARSH).deleted())
                .extracting(RetentionResult.Deleted::id)
                .containsExactlyInAnyOrder(restored, preOfRunning);
        assertThat(Catalog.exists(restored)).isFalse();
        assertThat(Catalog.exists(preOfRunning)).isFalse();
        assertThat(Catalog.exists(newest)).isTrue();
    }

    @Test
    void thePreRestoreBackupOfARecentRestoreIsKeptUntilKeepPreRestoreForHasPassed() {
        String src = source();
        UUID pre = Catalog.ok("pre-restore", daysAgo(3), null, src);
        Catalog.exec("UPDATE holdfast.backup SET trigger = 'pre-restore' WHERE id = ?", pre);
        UUID newest = Catalog.ok("newest", daysAgo(1), null, src);
        Catalog.restore(newest, "SUCCEEDED", pre, daysAgo(3));

        assertThat(applyGlobal(HARSH).deleted()).isEmpty();
        assertThat(Catalog.exists(pre)).isTrue();

        // The restore was created 3 days ago: at 6 days it can still be rolled back, at 7 days and a minute not.
        time.advance(Duration.ofDays(3));
        assertThat(retention.preview(null, HARSH).backups())
                .filteredOn(i -> i.id().equals(pre))
                .singleElement()
                .satisfies(i -> assertThat(i.reasons()).containsExactly("pre-restore backup of a recent restore"));
        assertThat(applyGlobal(HARSH).deleted()).isEmpty();
        time.advance(Duration.ofDays(1).plusMinutes(1));
        assertThat(applyGlobal(HARSH).deleted())
                .extracting(RetentionResult.Deleted::id)
                .containsExactly(pre);
        assertThat(Catalog.exists(pre)).isFalse();
        assertThat(Catalog.exists(newest)).isTrue();
    }

    @Test
    void aRunOfFailuresNeverPushesGoodBackupsOutOfKeepLast() {
        String src = source();
        UUID schedule = Catalog.schedule("{\"keep_last\": 2}", "UTC");
        List<UUID> good = new ArrayList<>();
        for (int i = 13; i >= 11; i--) {
            good.add(Catalog.ok("good " + i, daysAgo(i), schedule, src));
        }
        List<UUID> failed = new ArrayList<>();
        for (int i = 10; i >= 1; i--) {
            failed.add(Catalog.backup("failed " + i, daysAgo(i), "FAILED", "database", schedule, src));
        }

        RetentionResult r = retention.apply(schedule, null, AuditLog.SYSTEM, null);
        assertThat(r.policySource()).isEqualTo(RetentionService.SOURCE_SCHEDULE);
        assertThat(r.policy().keepLast()).isEqualTo(2);
        assertThat(r.deleted()).extracting(RetentionResult.Deleted::id).containsExactly(good.get(0));
        assertThat(Catalog.exists(good.get(0))).isFalse();
        assertThat(Catalog.exists(good.get(1))).isTrue();
        assertThat(Catalog.exists(good.get(2))).isTrue();
        // Failed rows are younger than the global max-age (30d): kept.
        assertThat(failed).allMatch(Catalog::exists);

        // keep_last 0 and max_age 1s: the newest good copy stays; every failed row (no archive) goes.
        RetentionResult harsh = retention.apply(schedule, HARSH, AuditLog.SYSTEM, null);
        assertThat(harsh.policySource()).isEqualTo(RetentionService.SOURCE_REQUEST);
        assertThat(harsh.deleted()).hasSize(11);
        assertThat(Catalog.exists(good.get(2))).isTrue();
        assertThat(Catalog.exists(good.get(1))).isFalse();
        assertThat(failed).noneMatch(Catalog::exists);
        assertThat(Catalog.audit(failed.get(0)).get(0)[2]).contains("FAILED, older than max_age 1s");
    }

    @Test
    void aDeletionThatFailsIsReportedAndAuditedAndTheRunGoesOn() throws Exception {
        String src = source();
        UUID stuck = Catalog.ok("stuck", daysAgo(50), null, src);
        UUID gone = Catalog.ok("gone", daysAgo(40), null, src);
        UUID newest = Catalog.ok("newest", daysAgo(1), null, src);
        // A non-empty directory where the archive should be: the storage cannot delete it.
        Files.delete(Catalog.STORAGE.resolve(stuck + ".tar"));
        Files.createDirectories(Catalog.STORAGE.resolve(stuck + ".tar").resolve("x"));
        try {
            RetentionResult r = applyGlobal(new RetentionPolicy(null, null, null, null, null, null, "30d"));
            assertThat(r.deleted()).extracting(RetentionResult.Deleted::id).containsExactly(gone);
            assertThat(r.failures()).singleElement().satisfies(f -> {
                assertThat(f.id()).isEqualTo(stuck);
                assertThat(f.error()).contains("Could not delete the archive");
            });
            assertThat(Catalog.rowExists(stuck)).isTrue();
            assertThat(Catalog.exists(gone)).isFalse();
            assertThat(Catalog.exists(newest)).isTrue();
            assertThat(Catalog.audit(stuck)).singleElement().satisfies(a -> {
                assertThat(a[1]).isEqualTo("FAILED");
                assertThat(a[2]).contains("Could not delete the archive");
            });
        } finally {
            Files.delete(Catalog.STORAGE.resolve(stuck + ".tar").resolve("x"));
            Files.delete(Catalog.STORAGE.resolve(stuck + ".tar"));
        }
    }

    @Test
    void aSuccessfulScheduledBackupAppliesItsSchedulesPolicyOnTheRetentionThread() throws Exception {
        AppDatabase.reset();
        UUID schedule = Catalog.schedule("{\"keep_last\": 2}", "Europe/Berlin");
        // Earlier runs of the same schedule: same group (schedule, database, [app]) as the real backup below.
        UUID older1 = Catalog.ok("run -1", daysAgo(1), schedule, "app");
        UUID older2 = Catalog.ok("run -2", daysAgo(2), schedule, "app");
        UUID older3 = Catalog.ok("run -3", daysAgo(3), schedule, "app");
        // Not this schedule's: the hook leaves it alone even though it is old.
        UUID other = Catalog.ok("api backup", daysAgo(50), null, "app");

        BackupRequest req = mapper.readValue("{\"backup_type\":\"database\"}", BackupRequest.class);
        UUID fresh =
                backups.createScheduled(req, schedule, "schedule", "scheduler").id();

        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> !Catalog.rowExists(older2) && !Catalog.rowExists(older3));
        assertThat(Catalog.status(fresh)).isEqualTo("SUCCEEDED");
        assertThat(Catalog.exists(fresh)).isTrue();
        assertThat(Catalog.exists(older1)).isTrue();
        assertThat(Catalog.fileExists(older2)).isFalse();
        assertThat(Catalog.fileExists(older3)).isFalse();
        assertThat(Catalog.exists(other)).isTrue();
        List<String[]> audit = Catalog.audit(older3);
        assertThat(audit).singleElement().satisfies(a -> {
            assertThat(a[0]).isEqualTo(AuditLog.SYSTEM);
            assertThat(a[1]).isEqualTo("SUCCEEDED");
            JsonNode details = mapper.readTree(a[2]);
            assertThat(details.get("reason").asText()).isEqualTo("no rule keeps it");
            assertThat(details.get("policy").get("keep_last").asInt()).isEqualTo(2);
            assertThat(details.get("policy_source").asText()).isEqualTo("schedule");
            assertThat(details.get("schedule_id").asText()).isEqualTo(schedule.toString());
        });
    }

    @Test
    void theSweepRunsOncePerIntervalAndAppliesTheGlobalAndEverySchedulesPolicy() throws Exception {
        String src = source();
        UUID schedule = Catalog.schedule("{\"keep_last\": 1}", "UTC");
        UUID noPolicy = Catalog.schedule(null, "UTC");
        UUID scheduledOld = Catalog.ok("scheduled old", daysAgo(2), schedule, src);
        UUID scheduledNew = Catalog.ok("scheduled new", daysAgo(1), schedule, src);
        UUID globalOld = Catalog.ok("global old", daysAgo(40), null, src);
        UUID globalRecent = Catalog.ok("global recent", daysAgo(20), null, src);
        // A schedule without a policy falls under the global one (max-age 30d).
        UUID unmanagedOld = Catalog.ok("no-policy schedule old", daysAgo(45), noPolicy, src);

        assertThat(runner.sweepIfDue()).isTrue();
        assertThat(Catalog.exists(scheduledOld)).isFalse();
        assertThat(Catalog.exists(scheduledNew)).isTrue();
        assertThat(Catalog.exists(globalOld)).isFalse();
        assertThat(Catalog.exists(unmanagedOld)).isFalse();
        assertThat(Catalog.exists(globalRecent)).isTrue();
        assertThat(Catalog.audit(globalOld).get(0)[0]).isEqualTo(AuditLog.SYSTEM);
        Map<String, Object> task = task();
        assertThat(task.get("next_run_at")).isEqualTo(now.plus(Duration.ofDays(1)));
        assertThat(task.get("last_run_at")).isEqualTo(now);
        assertThat(task.get("last_owner")).isEqualTo(worker.instanceId());
        assertThat(task.get("last_error")).isNull();

        // Not due again until the interval has passed.
        UUID later = Catalog.ok("later", daysAgo(35), null, src);
        assertThat(runner.sweepIfDue()).isFalse();
        assertThat(Catalog.exists(later)).isTrue();
        time.advance(Duration.ofHours(23));
        assertThat(runner.sweepIfDue()).isFalse();
        time.advance(Duration.ofHours(1));
        assertThat(runner.sweepIfDue()).isTrue();
        assertThat(Catalog.exists(later)).isFalse();
        assertThat(task().get("last_run_at")).isEqualTo(now.plus(Duration.ofDays(1)));
    }

    @Test
    void whileAnotherInstanceHoldsTheSweepThisOneSkipsIt() throws Exception {
        String src = source();
        UUID old = Catalog.ok("old", daysAgo(40), null, src);
        Catalog.ok("newest", daysAgo(1), null, src);
        Catalog.exec(
                "INSERT INTO holdfast.cluster_task (name, next_run_at) VALUES ('retention', ?)",
                now.atOffset(java.time.ZoneOffset.UTC));
        try (Connection other = Catalog.connect()) {
            other.setAutoCommit(false);
            assertThat(ClusterTasks.claim(other, RetentionRunner.TASK, now, Duration.ofDays(1), "other-instance"))
                    .isTrue();
            // The other instance's claim is not committed yet: its row is locked and skipped, not waited for.
            assertThat(runner.sweepIfDue()).isFalse();
            other.commit();
        }
        assertThat(runner.sweepIfDue()).isFalse();
        assertThat(Catalog.exists(old)).isTrue();
        assertThat(task().get("last_owner")).isEqualTo("other-instance");
    }

    @Test
    void ofConcurrentClaimsExactlyOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                String task = "retention-race-" + UUID.randomUUID();
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<Boolean>> claims = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    String owner = "instance-" + i;
                    claims.add(pool.submit(() -> {
                        try (Connection c = Catalog.connect()) {
                            c.setAutoCommit(false);
                            start.await();
                            boolean won = ClusterTasks.claim(c, task, now, Duration.ofDays(1), owner);
                            c.commit();
                            return won;
                        }
                    }));
                }
                int winners = 0;
                for (Future<Boolean> f : claims) {
                    winners += f.get() ? 1 : 0;
                }
                assertThat(winners).as("round %d", round).isEqualTo(1);
                Catalog.exec("DELETE FROM holdfast.cluster_task WHERE name = ?", task);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static Map<String, Object> task() throws Exception {
        try (Connection c = Catalog.connect();
                PreparedStatement ps = c.prepareStatement("SELECT next_run_at, "
                        + "last_run_at, last_owner, last_error FROM holdfast.cluster_task WHERE name = 'retention'")) {
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                Map<String, Object> out = new java.util.HashMap<>();
                out.put("next_run_at", rs.getObject(1, OffsetDateTime.class).toInstant());
                out.put("last_run_at", rs.getObject(2, OffsetDateTime.class).toInstant());
                out.put("last_owner", rs.getString(3));
                out.put("last_error", rs.getString(4));
                return out;
            }
        }
    }
}
