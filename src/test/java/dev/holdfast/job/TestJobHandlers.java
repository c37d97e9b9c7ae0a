package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/** Job types that exist only in tests, to exercise the queue itself. */
public final class TestJobHandlers {
    /** Jobs whose failure hook ran, with the state it saw. */
    public static final ConcurrentHashMap<UUID, JobState> FAILURE_HOOK = new ConcurrentHashMap<>();
    /** Scratch files of steps jobs that were cleaned up after a cancel. */
    public static final Set<Path> CLEANED = ConcurrentHashMap.newKeySet();

    private TestJobHandlers() {}

    /** Records each execution as a row in public.test_job_runs, through the given datasource. */
    public static class Counting implements JobHandler {
        public static final String TYPE = "test.count";
        private final DataSource ds;
        private final String instance;

        public Counting(DataSource ds, String instance) {
            this.ds = ds;
            this.instance = instance;
        }

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public JsonNode run(JobContext ctx) throws Exception {
            try (Connection c = ds.getConnection();
                    PreparedStatement ps =
                            c.prepareStatement("INSERT INTO public.test_job_runs(job_id, instance) VALUES (?, ?)")) {
                ps.setObject(1, ctx.jobId());
                ps.setString(2, instance);
                ps.executeUpdate();
            }
            return null;
        }
    }

    /** The counting handler of the service instance under test. */
    @ApplicationScoped
    public static class CountingBean implements JobHandler {
        @Inject
        AgroalDataSource ds;

        @Inject
        JobWorker worker;

        @Override
        public String type() {
            return Counting.TYPE;
        }

        @Override
        public JsonNode run(JobContext ctx) throws Exception {
            return new Counting(ds, worker.instanceId()).run(ctx);
        }
    }

    /** Payload of a steps job. */
    public record StepsPayload(int steps, int stepMillis, Integer failAt) {}

    /**
     * Works through N steps, publishing progress after each; keeps a scratch file while running and
     * removes it when stopped, as real jobs clean up what they started.
     */
    public static class Steps implements JobHandler {
        public static final String TYPE = "test.steps";

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public JsonNode run(JobContext ctx) throws Exception {
            StepsPayload p = ctx.payload(StepsPayload.class);
            Path scratch = Files.createTempFile("holdfast-steps-" + ctx.jobId(), ".tmp");
            try {
                for (int i = 1; i <= p.steps(); i++) {
                    ctx.checkpoint();
                    Thread.sleep(p.stepMillis());
                    if (p.failAt() != null && p.failAt() == i) {
                        throw new IllegalStateException("step " + i + " failed on purpose");
                    }
                    ctx.progress(new Progress(
                            "work",
                            null,
                            i * 1000L,
                            p.steps() * 1000L,
                            (long) i,
                            (long) p.steps(),
                            "step " + i,
                            null,
                            "step " + i + " of " + p.steps()));
                }
            } catch (JobCancelledException e) {
                Files.deleteIfExists(scratch);
                CLEANED.add(scratch);
                throw e;
            }
            Files.deleteIfExists(scratch);
            return JsonNodeFactory.instance.objectNode().put("steps_done", p.steps());
        }

        @Override
        public void onFailure(JobOutcome outcome) {
            FAILURE_HOOK.put(outcome.jobId(), outcome.state());
        }
    }

    /** The steps handler of the service instance under test. */
    @ApplicationScoped
    public static class StepsBean extends Steps {}

    /** A job type that is safe to repeat: up to three attempts. */
    @ApplicationScoped
    public static class Retryable implements JobHandler {
        public static final String TYPE = "test.retry";

        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public int maxAttempts() {
            return 3;
        }

        @Override
        public JsonNode run(JobContext ctx) {
            return JsonNodeFactory.instance.objectNode().put("attempt", ctx.attempt());
        }
    }
}
