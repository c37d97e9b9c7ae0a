package dev.holdfast.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveSource;
import dev.holdfast.archive.EncryptedArchives;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupRunner;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupType;
import dev.holdfast.backup.Encryption;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.JobService;
import dev.holdfast.job.JobSessions;
import dev.holdfast.job.JobState;
import dev.holdfast.job.Progress;
import dev.holdfast.job.ProgressSink;
import dev.holdfast.job.StopSignal;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Runs a restore job: adapts the queue's job to a {@link RestoreRun} (pre-restore backup, then each database and
 * media root, nothing changed before the pre-restore backup is stored and the archive's entries are verified),
 * records its report, and cleans up after a restore whose job failed or vanished.
 */
@ApplicationScoped
public class RestoreJobHandler implements JobHandler {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(RestoreJobHandler.class);

    @Inject
    RestoreService restores;

    @Inject
    BackupService backups;

    @Inject
    BackupRunner backupRunner;

    @Inject
    SourceRegistry sources;

    @Inject
    ArchiveStorage storage;

    @Inject
    HoldfastConfig config;

    @Inject
    ObjectMapper mapper;

    @Inject
    JobService jobs;

    @Inject
    RetiredDatabases retired;

    @Inject
    RestoreTargets targets;

    @Inject
    Encryption encryption;

    @Inject
    dev.holdfast.backup.BackupArchives archives;

    @Override
    public String type() {
        return RestoreService.RESTORE_JOB;
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        RestoreService.RestoreJobPayload payload = ctx.payload(RestoreService.RestoreJobPayload.class);
        RestoreOperation op = restores.start(payload.restoreId());
        RestoreRequest req = mapper.treeToValue(op.options, RestoreRequest.class);
        RestoreRun run = new RestoreRun(
                new RestoreRun.Settings(
                        config.pg().binDir(),
                        config.pg().searchPath(),
                        config.copy().parallelism().orElse(Runtime.getRuntime().availableProcessors())),
                runSources(JobSessions.applicationName(ctx.jobId())),
                (dbs, media, progress) -> preBackup(op, req, dbs, media, progress, ctx, ctx.jobId()));
        RestoreResult report;
        try {
            // An encrypted archive is decrypted by range with the configured identities; header, MAC and last chunk
            // are authenticated here, every chunk when it is read, all before any target is touched.
            ArchiveReader reader = ArchiveReader.open(EncryptedArchives.plaintext(
                    ArchiveSource.of(storage, backups.storageKeyOf(op.backupId)), encryption.identities()));
            Manifest manifest = reader.manifest();
            List<String> mediaNames = req.includeMedia()
                    ? manifest.media().stream()
                            .map(Manifest.MediaSection::source)
                            .toList()
                    : List.of();

            // Checked again here, before anything is touched: configuration and targets may have changed since
            // the request was accepted.
            List<RestoreTargets.DatabaseTarget> dbTargets = new ArrayList<>();
            for (String name : req.databases()) {
                // Named after the job, so that the watchdog finds the restore's sessions when it stalls.
                dbTargets.add(targets.database(name, req.target(), req.restoreMode())
                        .named(JobSessions.applicationName(ctx.jobId())));
            }
            List<RestoreTargets.MediaTarget> mediaTargets = new ArrayList<>();
            for (String name : mediaNames) {
                mediaTargets.add(targets.media(name, req.mediaTarget()));
            }
            report = run.run(
                    new RestoreRun.Request(op.id, req, reader, dbTargets, mediaTargets, archives.references()),
                    ctx,
                    ctx);
        } catch (Exception e) {
            // Keep what was learnt (e.g. a dry run's or a failed validation's report) with the failure.
            restores.fail(op.id, RestoreStatus.FAILED, describe(e), run.soFar());
            throw e;
        }
        restores.succeed(op.id, report);
        if ("clean".equals(req.restoreMode()) && !req.dryRun()) {
            // Empty targets a staged restore replaced go now, after the restore has ended, not within it.
            retired.afterSuccess(op.id);
        }
        ObjectNode result = mapper.createObjectNode();
        result.put("restore_id", op.id.toString());
        result.put("dry_run", req.dryRun());
        return result;
    }

    private RestoreRun.Sources runSources(String applicationName) {
        return new RestoreRun.Sources() {
            @Override
            public PgConnectionInfo database(String name) {
                SourceRegistry.DatabaseSource src = sources.databases().get(name);
                return src == null ? null : src.connectionInfo().withApplicationName(applicationName);
            }

            @Override
            public SourceRegistry.MediaSource media(String name) {
                return sources.media().get(name);
            }
        };
    }

    /**
     * Records the pre-restore backup of what the restore will change and runs it as a {@link BackupRunner} run
     * within this restore's job (its progress the first part of the restore's, its stop the restore's).
     */
    private void preBackup(
            RestoreOperation op,
            RestoreRequest req,
            List<String> dbNames,
            List<String> mediaNames,
            ProgressSink progress,
            StopSignal stop,
            UUID jobId)
            throws Exception {
        boolean dbs = !dbNames.isEmpty();
        BackupType type = dbs && !mediaNames.isEmpty() ? BackupType.FULL : dbs ? BackupType.DATABASE : BackupType.MEDIA;
        // A selective replace only changes those tables; anything wider saves whole databases.
        List<String> tables =
                "replace".equals(req.restoreMode()) && !req.includeReferencing() ? req.tables() : List.of();
        BackupRequest pre = new BackupRequest(
                "pre-restore-" + op.id,
                type,
                "Taken by restore " + op.id + " before it changed anything",
                !mediaNames.isEmpty(),
                null,
                null,
                dbNames,
                mediaNames,
                null,
                null,
                tables.isEmpty() ? null : tables,
                null,
                null,
                null,
                null,
                null);
        UUID preId = backups.recordForRestore(pre, op.createdBy);
        restores.preBackup(op.id, preId);
        progress.progress(Progress.phase("pre-backup", "Backing up what the restore will change"));
        try {
            backupRunner.run(preId, progress, stop, JobSessions.applicationName(jobId));
        } catch (Exception e) {
            backups.failRecorded(preId, e);
            throw new IllegalStateException("The pre-restore backup failed, so nothing was changed: " + describe(e), e);
        }
    }

    @Override
    public void onFailure(JobOutcome outcome) {
        RestoreService.RestoreJobPayload p =
                mapper.convertValue(outcome.payload(), RestoreService.RestoreJobPayload.class);
        String error = outcome.error();
        List<String> cleaned = cleanUpStaging(p.restoreId());
        if (!cleaned.isEmpty()) {
            error = error + ". Cleaned up after it: " + String.join("; ", cleaned);
        }
        if (outcome.state() != JobState.CANCELLED && restores.running(p.restoreId())) {
            // run() records every failure it sees; a restore still RUNNING here was abandoned by an instance
            // that stopped (the job queue failed it when its lease expired). Say what that means for targets.
            error = error + ". " + afterInstanceStopped(outcome.jobId());
        }
        restores.fail(
                p.restoreId(),
                outcome.state() == JobState.CANCELLED ? RestoreStatus.CANCELLED : RestoreStatus.FAILED,
                error,
                null);
    }

    @Override
    public void reconcile() {
        for (RestoreService.Orphan o : restores.orphans()) {
            LOG.warnf("Restore %s was still open after its job ended %s; recording it", o.restoreId(), o.jobState());
            String why = "Its job ended " + o.jobState() + (o.jobError() == null ? "" : ": " + o.jobError())
                    + (JobState.SUCCEEDED.name().equals(o.jobState()) ? " without recording the restore" : "");
            JobState state = JobState.CANCELLED.name().equals(o.jobState()) ? JobState.CANCELLED : JobState.FAILED;
            onFailure(new JobOutcome(
                    o.jobId(),
                    type(),
                    mapper.valueToTree(new RestoreService.RestoreJobPayload(o.restoreId())),
                    state,
                    why));
        }
        for (java.util.UUID pre : restores.orphanedPreBackups()) {
            backups.failRecorded(pre, new IllegalStateException("The restore that took it ended first"));
        }
    }

    /**
     * Drops any staging database this restore left (its instance was killed before it could) and gives an
     * empty target moved aside its name back; this runs wherever the failure is recorded, lease reaper included.
     */
    List<String> cleanUpStaging(UUID restoreId) {
        List<String> done = new ArrayList<>();
        try {
            RestoreRequest req = restores.get(restoreId).options();
            if (!"clean".equals(req.restoreMode()) || req.dryRun()) {
                return done;
            }
            for (String name : req.databases()) {
                SourceRegistry.DatabaseSource src = sources.databases().get(name);
                if (src == null) {
                    continue;
                }
                PgConnectionInfo info = src.connectionInfo();
                String target = req.target() != null ? req.target() : src.databaseName();
                done.addAll(DatabaseRestore.cleanUpStaging(ConnectionFactory.driverManager(), info, target, restoreId));
            }
        } catch (Exception e) {
            LOG.warnf("Could not check for staging databases left by restore %s: %s", restoreId, e.getMessage());
        }
        return done;
    }

    private String afterInstanceStopped(UUID jobId) {
        String last = "";
        try {
            Progress progress = jobs.get(jobId).progress();
            if (progress != null && progress.phase() != null) {
                last = "It last reported phase '" + progress.phase() + "'"
                        + (progress.currentItem() != null ? " (" + progress.currentItem() + ")" : "") + ". ";
            }
        } catch (RuntimeException e) {
            // the explanation below holds without it
        }
        return last + "Each database is restored in one transaction that commits at its end, and PostgreSQL rolls"
                + " back a transaction whose connection ends before it commits: a database whose restore had not"
                + " committed is as it was (a clean restore into an absent or empty database works in a staging"
                + " database, which is dropped here)";
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
