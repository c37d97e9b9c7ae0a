package dev.holdfast.schedule;

import static dev.holdfast.schedule.ScheduleTestSupport.audit;
import static dev.holdfast.schedule.ScheduleTestSupport.backupsOf;
import static dev.holdfast.schedule.ScheduleTestSupport.create;
import static dev.holdfast.schedule.ScheduleTestSupport.get;
import static dev.holdfast.schedule.ScheduleTestSupport.rows;
import static dev.holdfast.schedule.ScheduleTestSupport.runsMetric;
import static dev.holdfast.schedule.ScheduleTestSupport.scheduleRow;
import static dev.holdfast.schedule.ScheduleTestSupport.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.backup.BackupService;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.time.MovableTime;
import dev.holdfast.time.TimeSource;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Firing by the clock, with the clock moved by hand: due runs start once, late ones within the grace period
 * once, older ones not at all, never two at a time, and exactly once across two instances.
 */
@QuarkusTest
class ScheduleFiringTest {
    static final Object RESOURCES = TestResources.class;
    /** A Monday. */
    static final Instant START = Instant.parse("2030-01-07T01:00:00Z");

    @Inject
    ScheduleRunner runner;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    BackupService backups;

    @Inject
    ObjectMapper mapper;

    MovableTime clock;

    @BeforeEach
    void fixture() throws Exception {
        ScheduleTestSupport.clean();
        ScheduleTestSupport.mediaRoot();
        clock = new MovableTime(START);
        QuarkusMock.installMockForType(clock, TimeSource.class);
    }

    @AfterEach
    void leaveNoSchedule() throws Exception {
        // Later tests that fire schedules must not find ours due, nor our backups dated by the moved clock.
        ScheduleTestSupport.clean();
        ScheduleTestSupport.forgetFutureRows();
    }

    static List<ScheduleFiring.Result> of(UUID id, List<ScheduleFiring.Result> results) {
        return results.stream().filter(r -> r.scheduleId().equals(id)).toList();
    }

    static OffsetDateTime utc(String iso) {
        return Instant.parse(iso).atOffset(ZoneOffset.UTC);
    }

    @Test
    void aDueScheduleFiresOnceAtItsSlotAndItsDatabaseBackupSucceeds() throws Exception {
        AppDatabase.reset();
        UUID id = create("{\"name\":\"nightly-app\",\"cron\":\"0 2 * * *\","
                + "\"backup\":{\"backup_type\":\"database\",\"databases\":[\"app\"]}}");
        Map<String, Object> before = scheduleRow(id);
        assertThat(before.get("next_text")).isEqualTo("2030-01-07 02:00:00+00");

        clock.set(Instant.parse("2030-01-07T01:59:59Z"));
        assertThat(of(id, runner.fireDue())).isEmpty();
        assertThat(backupsOf(id)).isEmpty();
        assertThat(scheduleRow(id).get("version")).isEqualTo(before.get("version"));

        clock.set(Instant.parse("2030-01-07T02:00:04Z"));
        List<ScheduleFiring.Result> fired = of(id, runner.fireDue());
        assertThat(fired).hasSize(1);
        ScheduleFiring.Result r = fired.get(0);
        assertThat(r.outcome()).isEqualTo(ScheduleFiring.Outcome.FIRED);
        assertThat(r.slot()).isEqualTo(Instant.parse("2030-01-07T02:00:00Z"));
        assertThat(r.nextRunAt()).isEqualTo(Instant.parse("2030-01-08T02:00:00Z"));

        List<Map<String, Object>> made = backupsOf(id);
        assertThat(made).hasSize(1);
        Map<String, Object> backup = made.get(0);
        assertThat(backup.get("id")).isEqualTo(r.backupId());
        assertThat(backup.get("trigger")).isEqualTo("schedule");
        assertThat(backup.get("created_by")).isEqualTo("system:schedule");
        assertThat(backup.get("name")).isEqualTo("nightly-app");
        assertThat(backup.get("job_id")).isEqualTo(r.jobId());

        Map<String, Object> after = scheduleRow(id);
        assertThat(after.get("next_text")).isEqualTo("2030-01-08 02:00:00+00");
        assertThat(after.get("fired_text")).isEqualTo("2030-01-07 02:00:04+00");
        assertThat(after.get("last_backup_id")).isEqualTo(r.backupId());
        assertThat((int) after.get("version")).isEqualTo((int) before.get("version") + 1);

        // Asked again at the same moment, nothing more is due.
        assertThat(of(id, runner.fireDue())).isEmpty();
        assertThat(backupsOf(id)).hasSize(1);

        JsonNode done = BackupApiTest.awaitBackup(r.backupId());
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("databases").get(0).asText()).isEqualTo("app");
        assertThat(done.get("summary").get("databases").get(0).get("tables").size())
                .isGreaterThan(5);

        JsonPath view = get(id);
        assertThat(view.getString("last_backup.id")).isEqualTo(r.backupId().toString());
        assertThat(view.getString("last_backup.status")).isEqualTo("SUCCEEDED");
        assertThat(view.getString("last_success_at")).isNotNull();
        assertThat(OffsetDateTime.parse(view.getString("last_fired_at"))).isEqualTo(utc("2030-01-07T02:00:04Z"));

        List<Map<String, Object>> trail = audit(id);
        Map<String, Object> fire = trail.get(trail.size() - 1);
        assertThat(fire.get("action")).isEqualTo("schedule.fire");
        assertThat(fire.get("outcome")).isEqualTo("ACCEPTED");
        assertThat(fire.get("actor_subject")).isEqualTo("system");
        assertThat(fire.get("actor_name")).isEqualTo("schedule:nightly-app");
        Map<?, ?> details = (Map<?, ?>) fire.get("details");
        assertThat(details.get("backup_id")).isEqualTo(r.backupId().toString());
        assertThat(details.get("slot")).isEqualTo("2030-01-07T02:00:00Z");
        assertThat(runsMetric("nightly-app", "fired")).isEqualTo(1.0);
    }

    @Test
    void aRunMissedBrieflyFiresOnceAndALongMissedScheduleMovesOnWithoutABacklog() throws Exception {
        Instant now = Instant.parse("2030-01-07T10:10:00Z");
        clock.set(now);
        UUID recent = create("{\"name\":\"recent\",\"cron\":\"0 * * * *\",\"backup\":{\"backup_type\":\"media\"}}");
        UUID stale = create("{\"name\":\"stale\",\"cron\":\"0 */3 * * *\",\"backup\":{\"backup_type\":\"media\"}}");
        // As if every instance had been down: one slot 10 minutes ago, one three days ago.
        sql("UPDATE holdfast.schedule SET next_run_at = ? WHERE id = ?", utc("2030-01-07T10:00:00Z"), recent);
        Instant staleSlot = Instant.parse("2030-01-04T12:00:00Z");
        sql("UPDATE holdfast.schedule SET next_run_at = ? WHERE id = ?", staleSlot.atOffset(ZoneOffset.UTC), stale);
        int missedSlots = 0;
        for (Instant t = staleSlot;
                !t.isAfter(now);
                t = CronSchedule.of("0 */3 * * *", "UTC").next(t).orElseThrow()) {
            missedSlots++;
        }
        assertThat(missedSlots).isGreaterThanOrEqualTo(20);
        int staleVersion = (int) scheduleRow(stale).get("version");

        List<ScheduleFiring.Result> results = runner.fireDue();
        assertThat(of(recent, results)).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(ScheduleFiring.Outcome.FIRED);
            assertThat(r.slot()).isEqualTo(Instant.parse("2030-01-07T10:00:00Z"));
        });
        assertThat(backupsOf(recent)).hasSize(1);
        assertThat(scheduleRow(recent).get("next_text")).isEqualTo("2030-01-07 11:00:00+00");

        assertThat(of(stale, results)).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(ScheduleFiring.Outcome.MISSED);
            assertThat(r.slot()).isEqualTo(staleSlot);
            assertThat(r.backupId()).isNull();
        });
        assertThat(backupsOf(stale)).isEmpty();
        Map<String, Object> staleRow = scheduleRow(stale);
        assertThat(staleRow.get("next_text")).isEqualTo("2030-01-07 12:00:00+00");
        assertThat((int) staleRow.get("version")).isEqualTo(staleVersion + 1);
        assertThat(staleRow.get("last_fired_at")).isNull();

        // Nothing left over: another tick at the same moment finds neither due.
        assertThat(runner.fireDue()).isEmpty();
        assertThat(audit(stale))
                .filteredOn(e -> e.get("action").toString().startsWith("schedule."))
                .extracting(e -> e.get("action") + ":" + e.get("outcome") + ":" + e.get("actor_subject"))
                .containsExactly("schedule.create:SUCCEEDED:sub-ada", "schedule.miss:REFUSED:system");
        assertThat(runsMetric("stale", "missed")).isEqualTo(1.0);
        assertThat(runsMetric("stale", "fired")).isEqualTo(0.0);
        assertThat(runsMetric("recent", "fired")).isEqualTo(1.0);
        ScheduleTestSupport.awaitIdle(List.of(recent));
        assertThat(backupsOf(recent).get(0).get("status")).isEqualTo("SUCCEEDED");
    }

    @Test
    void aScheduleWhosePreviousRunIsStillQueuedOrRunningDoesNotStartASecond() throws Exception {
        UUID id = create("{\"name\":\"busy\",\"cron\":\"*/5 * * * *\",\"backup\":{\"backup_type\":\"media\"}}");
        UUID inFlight = UUID.randomUUID();
        sql(
                "INSERT INTO holdfast.backup (id, name, backup_type, status, schedule_id, trigger) "
                        + "VALUES (?, 'busy', 'media', 'RUNNING', ?, 'schedule')",
                inFlight,
                id);

        clock.set(Instant.parse("2030-01-07T01:05:01Z"));
        assertThat(of(id, runner.fireDue())).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(ScheduleFiring.Outcome.SKIPPED_RUNNING);
            assertThat(r.runningBackupId()).isEqualTo(inFlight);
        });
        assertThat(backupsOf(id)).hasSize(1);
        assertThat(scheduleRow(id).get("next_text")).isEqualTo("2030-01-07 01:10:00+00");

        sql("UPDATE holdfast.backup SET status = 'QUEUED' WHERE id = ?", inFlight);
        clock.set(Instant.parse("2030-01-07T01:10:01Z"));
        assertThat(of(id, runner.fireDue()))
                .extracting(ScheduleFiring.Result::outcome)
                .containsExactly(ScheduleFiring.Outcome.SKIPPED_RUNNING);
        assertThat(backupsOf(id)).hasSize(1);

        sql("UPDATE holdfast.backup SET status = 'FAILED' WHERE id = ?", inFlight);
        clock.set(Instant.parse("2030-01-07T01:15:01Z"));
        List<ScheduleFiring.Result> fired = of(id, runner.fireDue());
        assertThat(fired).extracting(ScheduleFiring.Result::outcome).containsExactly(ScheduleFiring.Outcome.FIRED);
        assertThat(backupsOf(id)).hasSize(2);

        assertThat(audit(id))
                .extracting(e -> e.get("action") + ":" + e.get("outcome"))
                .containsExactly(
                        "schedule.create:SUCCEEDED",
                        "schedule.skip:REFUSED",
                        "schedule.skip:REFUSED",
                        "schedule.fire:ACCEPTED");
        Map<?, ?> skip = (Map<?, ?>) audit(id).get(1).get("details");
        assertThat(skip.get("running_backup_id")).isEqualTo(inFlight.toString());
        assertThat(runsMetric("busy", "skipped_running")).isEqualTo(2.0);
        ScheduleTestSupport.awaitIdle(List.of(id));
    }

    @Test
    void aRunThatCannotBeQueuedIsRecordedAsFailedAndTheScheduleMovesOn() throws Exception {
        UUID id = create("{\"name\":\"orphan\",\"cron\":\"0 2 * * *\",\"backup\":{\"databases\":[\"app\"]}}");
        // As if the source had been removed from the configuration since the schedule was saved.
        sql("UPDATE holdfast.schedule SET backup_request = '{\"databases\":[\"gone\"]}' WHERE id = ?", id);
        clock.set(Instant.parse("2030-01-07T02:00:01Z"));
        assertThat(of(id, runner.fireDue())).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(ScheduleFiring.Outcome.FAILED);
            assertThat(r.error()).contains("unknown source 'gone'");
        });
        assertThat(backupsOf(id)).isEmpty();
        assertThat(scheduleRow(id).get("next_text")).isEqualTo("2030-01-08 02:00:00+00");
        assertThat(audit(id).get(1)).containsEntry("action", "schedule.fire").containsEntry("outcome", "FAILED");
        assertThat(runsMetric("orphan", "failed")).isEqualTo(1.0);
    }

    @Test
    void aFailureWhileQueuingRollsBackTheClaimAndTheBackupTogether() throws Exception {
        UUID id = create("{\"name\":\"atomic\",\"cron\":\"0 2 * * *\",\"backup\":{\"backup_type\":\"media\"}}");
        Map<String, Object> before = scheduleRow(id);
        Instant now = Instant.parse("2030-01-07T02:00:01Z");
        ScheduleFiring firing = new ScheduleFiring(Duration.ofHours(1), 10);
        // The app's way: the claim on a pooled connection and the backup through BackupService, in one transaction.
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().call(() -> {
                    try (Connection c = dataSource.getConnection()) {
                        return firing.fireDue(c, now, (conn, due) -> {
                            backups.createScheduled(
                                    Schedules.backupRequest(mapper, due.backupRequestJson(), due.name()),
                                    due.id(),
                                    "schedule",
                                    ScheduleRunner.USER);
                            throw new IllegalStateException("the database went away");
                        });
                    }
                }))
                .hasMessage("the database went away");
        assertThat(backupsOf(id)).isEmpty();
        Map<String, Object> after = scheduleRow(id);
        assertThat(after.get("next_text")).isEqualTo(before.get("next_text"));
        assertThat(after.get("version")).isEqualTo(before.get("version"));

        // Still due: the next tick fires it.
        clock.set(now);
        assertThat(of(id, runner.fireDue()))
                .extracting(ScheduleFiring.Result::outcome)
                .containsExactly(ScheduleFiring.Outcome.FIRED);
        assertThat(backupsOf(id)).hasSize(1);
        ScheduleTestSupport.awaitIdle(List.of(id));
    }

    @Test
    void twoInstancesHammeringTheSameDueSlotsStartEachExactlyOnce() throws Exception {
        int schedules = 12;
        int rounds = 3;
        int threadsPerInstance = 3;
        clock.set(Instant.parse("2030-01-07T12:00:30Z"));
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < schedules; i++) {
            // Retention follows each successful run; with the clock moved to 2030 the default 30-day max age
            // would delete these runs, so the test's schedules keep a century.
            ids.add(create("{\"name\":\"every-minute-" + i + "\",\"cron\":\"* * * * *\","
                    + "\"retention\":{\"max_age\":\"100y\"},\"backup\":{\"backup_type\":\"media\"}}"));
        }
        SecondScheduler b = new SecondScheduler("instance-b", Duration.ofHours(1), 3);
        List<ScheduleFiring.Result> fromA = Collections.synchronizedList(new ArrayList<>());
        List<ScheduleFiring.Result> fromB = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerInstance);
        try {
            for (int round = 1; round <= rounds; round++) {
                Instant now = Instant.parse("2030-01-07T12:00:30Z").plus(Duration.ofMinutes(round));
                Instant slot = now.minusSeconds(30);
                clock.set(now);
                CountDownLatch go = new CountDownLatch(1);
                List<Callable<Void>> tasks = new ArrayList<>();
                for (int t = 0; t < threadsPerInstance; t++) {
                    tasks.add(() -> {
                        go.await();
                        for (int k = 0; k < 4; k++) {
                            fromA.addAll(runner.fireDue());
                        }
                        return null;
                    });
                    tasks.add(() -> {
                        go.await();
                        for (int k = 0; k < 4; k++) {
                            fromB.addAll(b.fireDue(now));
                        }
                        return null;
                    });
                }
                List<Future<Void>> running = tasks.stream().map(pool::submit).toList();
                go.countDown();
                for (Future<Void> f : running) {
                    f.get(60, TimeUnit.SECONDS);
                }

                // Every schedule's slot of this round was claimed exactly once, by one instance, and fired.
                Map<UUID, Integer> claims = new HashMap<>();
                List<ScheduleFiring.Result> all = new ArrayList<>(fromA);
                all.addAll(fromB);
                all.stream()
                        .filter(r -> r.slot().equals(slot))
                        .forEach(r -> claims.merge(r.scheduleId(), 1, Integer::sum));
                assertThat(claims)
                        .as("round %d", round)
                        .hasSize(schedules)
                        .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
                assertThat(all)
                        .filteredOn(r -> r.slot().equals(slot))
                        .allSatisfy(r -> assertThat(r.outcome()).isEqualTo(ScheduleFiring.Outcome.FIRED));

                // End this round's runs before the next slot, so that no slot is skipped as overlapping:
                // instance b's backups have no job (it is only a claimer here), the app's are quick media runs.
                sql("UPDATE holdfast.backup SET status = 'CANCELLED' WHERE created_by = 'instance-b' "
                        + "AND status = 'QUEUED'");
                ScheduleTestSupport.awaitIdle(ids);
            }
        } finally {
            pool.shutdownNow();
        }

        List<ScheduleFiring.Result> all = new ArrayList<>(fromA);
        all.addAll(fromB);
        assertThat(all).hasSize(schedules * rounds);
        Set<UUID> backupIds = new HashSet<>();
        all.forEach(r -> backupIds.add(r.backupId()));
        assertThat(backupIds).hasSize(schedules * rounds).doesNotContainNull();
        for (UUID id : ids) {
            List<Map<String, Object>> made = backupsOf(id);
            assertThat(made).as("backups of %s", id).hasSize(rounds);
            assertThat(made).extracting(m -> (UUID) m.get("id")).allMatch(backupIds::contains);
            assertThat(scheduleRow(id).get("next_text")).isEqualTo("2030-01-07 12:04:00+00");
        }
        List<Map<String, Object>> appRuns = rows("SELECT status FROM holdfast.backup WHERE id = ANY(?)", (Object)
                fromA.stream().map(ScheduleFiring.Result::backupId).toArray(UUID[]::new));
        assertThat(appRuns)
                .hasSize(fromA.size())
                .allSatisfy(r -> assertThat(r.get("status")).isEqualTo("SUCCEEDED"));
        System.out.printf(
                "Exactly-once hammer: %d slots, app fired %d, instance-b fired %d%n",
                all.size(), fromA.size(), fromB.size());
    }
}
