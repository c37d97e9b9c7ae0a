package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import dev.holdfast.time.MovableTime;
import dev.holdfast.time.TimeSource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
 * Drills on their own cron (the test profile's: source app every minute, 02:00-05:00 Europe/Berlin), fired with
 * the clock moved by hand: several claimers at once queue exactly one drill per slot, each of which succeeds; a
 * slot outside the window waits for the window's next start.
 */
@QuarkusTest
class DrillScheduleTest {
    static final Object RESOURCES = TestResources.class;
    /** A Monday in January: Berlin is UTC+1, so the window is 01:00-04:00 UTC. */
    static final Instant MONDAY_0100_UTC = Instant.parse("2030-01-07T01:00:00Z");

    @Inject
    DrillScheduler scheduler;

    MovableTime clock;

    @BeforeEach
    void fixture() {
        AppDatabase.reset();
        dueAt("2030-01-07T01:00:00Z");
    }

    /** A backup taken on the real clock (so it is the newest, and dated like every other test's), then 2030. */
    UUID backupThenMoveTheClock() {
        UUID backup = DrillApiTest.backup();
        clock = new MovableTime(MONDAY_0100_UTC);
        QuarkusMock.installMockForType(clock, TimeSource.class);
        return backup;
    }

    @AfterEach
    void forgetScheduledDrills() {
        // Drills dated by the moved clock would come first in other tests' newest-first lists.
        AppDatabase.exec(
                TestDatabase.CATALOG_DB,
                "DELETE FROM holdfast.drill_run WHERE created_by = '" + DrillScheduler.USER + "'",
                "UPDATE holdfast.drill_schedule SET next_run_at = NULL WHERE source = 'app'");
    }

    static void dueAt(String iso) {
        AppDatabase.exec(
                TestDatabase.CATALOG_DB,
                "UPDATE holdfast.drill_schedule SET next_run_at = '" + iso + "' WHERE source = 'app'");
    }

    static List<String> scheduledDrills() {
        String ids = TestDatabase.query(
                TestDatabase.CATALOG_DB,
                "SELECT coalesce(string_agg(id::text, ',' ORDER BY created_at), '') FROM holdfast.drill_run"
                        + " WHERE created_by = '" + DrillScheduler.USER + "'");
        return ids.isEmpty() ? List.of() : List.of(ids.split(","));
    }

    @Test
    void eachSlotQueuesExactlyOneDrillAcrossConcurrentClaimersAndItSucceeds() throws Exception {
        UUID backup = backupThenMoveTheClock();
        int claimers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(claimers);
        try {
            for (int minute = 0; minute < 3; minute++) {
                Instant slot = MONDAY_0100_UTC.plus(Duration.ofMinutes(minute));
                clock.set(slot.plusSeconds(20));
                List<DrillFiring.Result> results = Collections.synchronizedList(new ArrayList<>());
                CountDownLatch go = new CountDownLatch(1);
                List<Callable<Void>> tasks = new ArrayList<>();
                for (int t = 0; t < claimers; t++) {
                    tasks.add(() -> {
                        go.await();
                        for (int k = 0; k < 3; k++) {
                            results.addAll(scheduler.fireDue());
                        }
                        return null;
                    });
                }
                List<Future<Void>> running = tasks.stream().map(pool::submit).toList();
                go.countDown();
                for (Future<Void> f : running) {
                    f.get(60, TimeUnit.SECONDS);
                }
                List<DrillFiring.Result> ofApp =
                        results.stream().filter(r -> r.source().equals("app")).toList();
                assertThat(ofApp).as("minute %d: %s", minute, ofApp).hasSize(1);
                DrillFiring.Result r = ofApp.get(0);
                assertThat(r.outcome()).isEqualTo(DrillFiring.Outcome.FIRED);
                assertThat(r.slot()).isEqualTo(slot);
                assertThat(r.nextRunAt()).isEqualTo(slot.plus(Duration.ofMinutes(1)));

                List<String> drills = scheduledDrills();
                assertThat(drills).hasSize(minute + 1).endsWith(r.drillId().toString());
                JsonNode d = DrillApiTest.awaitDrill(r.drillId());
                assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("SUCCEEDED");
                assertThat(d.get("trigger").asText()).isEqualTo("schedule");
                assertThat(d.get("created_by").asText()).isEqualTo(DrillScheduler.USER);
                assertThat(d.get("backup_id").asText()).isEqualTo(backup.toString());
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(DrillApiTest.scratchDatabases()).isEmpty();
        assertThat(TestDatabase.query(
                        TestDatabase.CATALOG_DB,
                        "SELECT last_drill_id::text FROM holdfast.drill_schedule WHERE source = 'app'"))
                .isEqualTo(scheduledDrills().get(2));
    }

    @Test
    void aSlotOutsideTheWindowWaitsForTheWindowsNextStart() throws Exception {
        backupThenMoveTheClock();
        // 04:59 Berlin, the window's last minute: it fires, and its next slot (05:00) is outside, so the next
        // run is the window's start the next day.
        dueAt("2030-01-07T03:59:00Z");
        clock.set(Instant.parse("2030-01-07T03:59:10Z"));
        List<DrillFiring.Result> fired = scheduler.fireDue();
        assertThat(fired).extracting(DrillFiring.Result::outcome).containsExactly(DrillFiring.Outcome.FIRED);
        assertThat(fired.get(0).nextRunAt()).isEqualTo(Instant.parse("2030-01-08T01:00:00Z"));
        assertThat(DrillApiTest.awaitDrill(fired.get(0).drillId()).get("status").asText())
                .isEqualTo("SUCCEEDED");

        // The same slot claimed only after the window closed (every instance was down): no drill, it waits.
        dueAt("2030-01-07T03:59:00Z");
        clock.set(Instant.parse("2030-01-07T04:00:30Z"));
        List<DrillFiring.Result> late = scheduler.fireDue();
        assertThat(late).extracting(DrillFiring.Result::outcome).containsExactly(DrillFiring.Outcome.DEFERRED);
        assertThat(late.get(0).nextRunAt()).isEqualTo(Instant.parse("2030-01-08T01:00:00Z"));
        assertThat(scheduledDrills()).hasSize(1);

        // Nothing is due before the window opens; at its start the drill is queued.
        clock.set(Instant.parse("2030-01-08T00:59:59Z"));
        assertThat(scheduler.fireDue()).isEmpty();
        clock.set(Instant.parse("2030-01-08T01:00:05Z"));
        List<DrillFiring.Result> opened = scheduler.fireDue();
        assertThat(opened).extracting(DrillFiring.Result::outcome).containsExactly(DrillFiring.Outcome.FIRED);
        assertThat(opened.get(0).slot()).isEqualTo(Instant.parse("2030-01-08T01:00:00Z"));
        assertThat(scheduledDrills()).hasSize(2);
        assertThat(DrillApiTest.awaitDrill(opened.get(0).drillId())
                        .get("status")
                        .asText())
                .isEqualTo("SUCCEEDED");
    }

    @Test
    void aSlotWhoseSourceHasADrillStillOpenAddsNoSecond() throws Exception {
        backupThenMoveTheClock();
        UUID open = UUID.randomUUID();
        AppDatabase.exec(
                TestDatabase.CATALOG_DB,
                "INSERT INTO holdfast.drill_run (id, source, status, trigger, scratch_database, created_by)"
                        + " VALUES ('" + open + "', 'app', 'QUEUED', 'schedule', 'x', '" + DrillScheduler.USER
                        + "')");
        clock.set(Instant.parse("2030-01-07T01:00:10Z"));
        List<DrillFiring.Result> r = scheduler.fireDue();
        assertThat(r).extracting(DrillFiring.Result::outcome).containsExactly(DrillFiring.Outcome.SKIPPED_RUNNING);
        assertThat(r.get(0).runningDrillId()).isEqualTo(open);
        assertThat(r.get(0).nextRunAt()).isEqualTo(Instant.parse("2030-01-07T01:01:00Z"));
        assertThat(scheduledDrills()).containsExactly(open.toString());
    }
}
