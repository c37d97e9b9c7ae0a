package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.JobSessions;
import dev.holdfast.job.JobState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Runs a backup job: adapts the queue's job to {@link BackupRunner} (which runs the {@link BackupRun} engine:
 * every selected database into one archive, committed durably, re-read and checked before the backup is marked
 * SUCCEEDED), and brings the backup row to an honest end when the job fails or vanishes.
 */
@ApplicationScoped
public class BackupJobHandler implements JobHandler {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(BackupJobHandler.class);

    @Inject
    BackupService backups;

    @Inject
    BackupRunner runner;

    @Inject
    ObjectMapper mapper;

    @Override
    public String type() {
        return BackupService.BACKUP_JOB;
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        BackupService.BackupJobPayload payload = ctx.payload(BackupService.BackupJobPayload.class);
        BackupResult r = runner.run(payload.backupId(), ctx, ctx, JobSessions.applicationName(ctx.jobId()));
        ObjectNode result = mapper.createObjectNode();
        result.put("backup_id", payload.backupId().toString());
        result.put("size_bytes", r.archive().archiveBytes());
        result.put("sha256", r.archive().archiveSha256());
        result.put("duration_ms", r.durationMs());
        return result;
    }

    @Override
    public void onFailure(JobOutcome outcome) {
        BackupService.BackupJobPayload p = mapper.convertValue(outcome.payload(), BackupService.BackupJobPayload.class);
        backups.fail(
                p.backupId(),
                outcome.state() == JobState.CANCELLED ? BackupStatus.CANCELLED : BackupStatus.FAILED,
                outcome.error());
    }

    @Override
    public void reconcile() {
        for (BackupService.Orphan o : backups.orphans()) {
            boolean cancelled = JobState.CANCELLED.name().equals(o.jobState());
            String why = "Its job ended " + o.jobState() + (o.jobError() == null ? "" : ": " + o.jobError())
                    + (JobState.SUCCEEDED.name().equals(o.jobState()) ? " without recording the backup" : "");
            LOG.warnf(
                    "Backup %s was still open after its job ended; recorded %s (%s)",
                    o.backupId(), cancelled ? "CANCELLED" : "FAILED", why);
            backups.fail(o.backupId(), cancelled ? BackupStatus.CANCELLED : BackupStatus.FAILED, why);
        }
    }
}
