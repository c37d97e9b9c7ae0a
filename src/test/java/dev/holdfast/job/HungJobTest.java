package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A job whose work no longer progresses is not renewed forever: after the stall timeout it is asked to stop
 * (its stop actions run), and when it still does not end within the stop grace its lease lapses, so that the
 * queue fails it and its failure hook ends its rows, although its thread is still stuck.
 */
@QuarkusTest
class HungJobTest {
    static final Object RESOURCES = TestResources.class;
    static final String TYPE = "test.hung";

    @Inject
    ObjectMapper mapper;

    /** Blocks without a checkpoint until released; records its stop action and its failure hook. */
    static final class Hung implements JobHandler {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean stopActionRan = new AtomicBoolean();
        volatile JobState hookSaw;

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public JsonNode run(JobContext ctx) throws Exception {
            ctx.progress(Progress.phase("work", "about to hang"));
            try (JobContext.Registration r = ctx.onStop(() -> stopActionRan.set(true))) {
                // ignores the stop on purpose, as a thread stuck in a driver lock would
                while (!release.await(100, TimeUnit.MILLISECONDS)) {
                    Thread.onSpinWait();
                }
            }
            return null;
        }

        @Override
        public void onFailure(JobOutcome outcome) {
            hookSaw = outcome.state();
        }
    }

    @Test
    void aJobWithoutProgressIsStoppedAndWhenItIgnoresThatItsLeaseLapsesAndTheQueueFailsIt() throws Exception {
        Hung hung = new Hung();
        UUID id = UUID.randomUUID();
        try (SecondInstance b = new SecondInstance(
                "hung-b", mapper, 1, d -> new JobHandler[] {hung}, Duration.ofSeconds(2), Duration.ofSeconds(2))) {
            try (Connection c = TestDatabase.connect(TestDatabase.CATALOG_DB);
                    PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO holdfast.job (id, type, state, created_by) VALUES (?, ?, 'QUEUED', 'test')")) {
                ps.setObject(1, id);
                ps.setString(2, TYPE);
                ps.executeUpdate();
            }
            b.start(Duration.ofMillis(100));
            await().atMost(Duration.ofSeconds(20)).until(() -> "RUNNING".equals(state(id)));

            await().atMost(Duration.ofSeconds(20)).untilTrue(hung.stopActionRan);
            assertThat(state(id)).as("asked to stop, not yet given up").isEqualTo("RUNNING");

            // given up: no more renewals, so the lease (6 s) expires and a reaper fails the job
            await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(state(id)));
            assertThat(error(id)).contains("stopped renewing the lease");
            await().atMost(Duration.ofSeconds(10)).until(() -> hung.hookSaw == JobState.FAILED);
            hung.release.countDown();
        }
    }

    static String state(UUID id) throws Exception {
        return column(id, "state");
    }

    static String error(UUID id) throws Exception {
        return column(id, "error");
    }

    static String column(UUID id, String column) throws Exception {
        try (Connection c = TestDatabase.connect(TestDatabase.CATALOG_DB);
                PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM holdfast.job WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
