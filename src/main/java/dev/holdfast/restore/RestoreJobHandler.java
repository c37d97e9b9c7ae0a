package dev.holdfast.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveSource;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.BackupJobHandler;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupType;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.JobService;
import dev.holdfast.job.JobState;
import dev.holdfast.job.Progress;
import dev.holdfast.job.ProgressScale;
import dev.holdfast.media.MediaRestore;
import dev.holdfast.pg.AbortableConnections;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.PgTools;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

/**
 * Runs a restore job: takes the pre-restore backup, restores each database in one validated
 * transaction (or, clean into an absent or empty one, in a staging database renamed into place) and each
 * media root through staging and swap, and records the report. Nothing is
 * changed before the pre-restore backup is stored and the archive's entries are verified.
 */
@ApplicationScoped
public class RestoreJobHandler implements JobHandler {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(RestoreJobHandler.class);

    @Inject
    RestoreService restores;

    @Inject
    BackupService backups;

    @Inject
    BackupJobHandler backupRunner;

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

    /** Percent of a restore's progress scale that its pre-restore backup fills. */
    static final double PRE_BACKUP_SHARE = 30.0;

    @Override
    public String type() {
        return RestoreService.RESTORE_JOB;
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        RestoreService.RestoreJobPayload payload = ctx.payload(RestoreService.RestoreJobPayload.class);
        RestoreOperation op = restores.start(payload.restoreId());
        RestoreRequest req = mapper.treeToValue(op.options, RestoreRequest.class);
        ObjectNode report = mapper.createObjectNode();
        ArrayNode dbReports = report.putArray("databases");
        ArrayNode mediaReports = report.putArray("media");
        JobContext.Registration stopRegistration = null;
        try {
            ArchiveReader reader = ArchiveReader.open(ArchiveSource.of(storage, backups.storageKeyOf(op.backupId)));
            Manifest manifest = reader.manifest();
            List<String> mediaNames = req.includeMedia()
                    ? manifest.media().stream().map(Manifest.MediaSection::source).toList()
                    : List.of();

            // Checked again here, before anything is touched: configuration and targets may have changed since
            // the request was accepted.
            List<RestoreTargets.DatabaseTarget> dbTargets = new ArrayList<>();
            for (String name : req.databases()) {
                dbTargets.add(targets.database(name, req.target(), req.restoreMode()));
            }
            List<RestoreTargets.MediaTarget> mediaTargets = new ArrayList<>();
            for (String name : mediaNames) {
                mediaTargets.add(targets.media(name, req.mediaTarget()));
            }
            // One percent scale for the job: the pre-restore backup fills its first part, the restore the rest.
            ProgressScale scale = new ProgressScale(ctx);
            boolean pre = !req.dryRun() && req.createPreBackup()
                    && preBackupOrRefuse(op, req, dbTargets, mediaTargets, report, scale.part(0, PRE_BACKUP_SHARE));
            if (!req.dryRun() && !req.createPreBackup()) {
                report.put("pre_backup", "skipped: create_pre_backup is false");
            }
            double start = pre ? PRE_BACKUP_SHARE : 0;
            double share = (100.0 - start) / Math.max(1, dbTargets.size() + mediaTargets.size());
            int part = 0;
            ctx.checkpoint();

            PgTools tools = PgTools.locate(config.pg().binDir());
            int parallelism = config.copy().parallelism().orElse(Runtime.getRuntime().availableProcessors());
            // Every connection of the restore closes at once when the job is asked to stop, so that a cancel
            // also ends a statement waiting on the server (a lock, an index build).
            AbortableConnections connections = new AbortableConnections(ConnectionFactory.driverManager());
            stopRegistration = ctx.onStop(connections::abortAll);
            DatabaseRestore engine = new DatabaseRestore(connections, tools, parallelism)
                    .stagedClean(parallelism, op.id);
            RestoreOptions options = new RestoreOptions(
                    "clean".equals(req.restoreMode()) ? RestoreOptions.Mode.CLEAN : RestoreOptions.Mode.REPLACE,
                    new HashSet<>(req.tables()), req.includeReferencing(), req.dryRun());
            // A staged clean restore creates a missing target by renaming its validated staging database into
            // place, so that no half-restored database ever carries the target's name.
            boolean staged = options.mode() == RestoreOptions.Mode.CLEAN && !req.dryRun() && req.tables().isEmpty()
                    && parallelism >= 2;
            for (RestoreTargets.DatabaseTarget dbTarget : dbTargets) {
                String name = dbTarget.source();
                Manifest.DatabaseSection section = manifest.databases().stream()
                        .filter(d -> d.source().equals(name)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("The archive has no database " + name));
                SourceRegistry.DatabaseSource src = sources.databases().get(name);
                if (src == null) {
                    throw new IllegalStateException("Database source '" + name + "' is not configured here, so "
                            + "there is nowhere to restore it");
                }
                PgConnectionInfo info = dbTarget.info();
                if (req.target() != null) {
                    ensureDatabase(src.connectionInfo(), req.target(), req.createTarget(), staged);
                }
                String label = name + (req.target() == null ? "" : " into " + req.target());
                JobContext pc = scale.part(start + share * part, start + share * ++part);
                pc.progress(Progress.phase("verify", "Verifying the entries of " + label));
                RestoreReport r = engine.run(reader, section, info, options,
                        p -> pc.progress(new Progress(p.phase(), null, p.bytesDone(), p.bytesTotal(),
                                (long) p.tablesDone(), (long) p.tablesTotal(),
                                p.table() == null ? null : name + ":" + p.table(), null,
                                "Restoring " + label + " (" + p.rowsDone() + " of " + p.rowsTotal() + " rows)")),
                        ctx::checkpoint);
                ObjectNode d = mapper.valueToTree(r);
                d.put("target", req.target() == null ? name : req.target());
                dbReports.add(d);
                if (!r.ok() && !req.dryRun()) {
                    throw new IllegalStateException("Restore of " + label + " failed validation: " + r.errors());
                }
            }
            for (RestoreTargets.MediaTarget mediaTarget : mediaTargets) {
                String name = mediaTarget.source();
                Path target = mediaTarget.path();
                JobContext mc = scale.part(start + share * part, start + share * ++part);
                MediaRestore mr = MediaRestore.of(reader, name, target);
                // What the backup's root and the target's root leave out of their backups (so out of any
                // pre-restore backup too) is out of the restore's reach: never removed, never overwritten.
                for (SourceRegistry.MediaSource filters : new SourceRegistry.MediaSource[] {sources.media().get(name),
                        mediaTarget.asSource()}) {
                    if (filters != null) {
                        mr.keepExcluded(filters.include(), filters.exclude());
                    }
                }
                mr
                        .mode("merge".equals(req.mediaMode()) ? MediaRestore.Mode.MERGE : MediaRestore.Mode.REPLACE)
                        .selectPrefixes(req.mediaPaths())
                        .selectGlobs(req.mediaGlobs())
                        .checkpoint(ctx::checkpoint)
                        .progress(p -> mc.progress(new Progress("media", null, p.bytesDone(), p.bytesTotal(),
                                p.filesDone(), p.filesTotal(), p.currentFile() == null ? null
                                        : name + ":" + p.currentFile(), null, "Restoring media root " + name)));
                MediaRestore.Plan plan;
                ObjectNode m = mediaReports.addObject();
                if (req.dryRun()) {
                    plan = mr.dryRun();
                } else {
                    MediaRestore.Result res = mr.run();
                    plan = res.plan();
                    m.set("warnings", mapper.valueToTree(res.warnings()));
                }
                m.put("source", name);
                m.put("target", target.toString());
                m.put("files", plan.files());
                m.put("bytes", plan.bytes());
                m.set("added", mapper.valueToTree(plan.added()));
                m.set("changed", mapper.valueToTree(plan.changed()));
                m.set("removed", mapper.valueToTree(plan.removed()));
                m.set("kept", mapper.valueToTree(plan.kept()));
            }
        } catch (Exception e) {
            // Keep what was learnt (e.g. a dry run's or a failed validation's report) with the failure.
            restores.fail(op.id, BackupStatus.FAILED, describe(e), report);
            throw e;
        } finally {
            if (stopRegistration != null) {
                stopRegistration.close();
            }
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

    /**
     * Backs up every target that is a configured source (by what it is, not by what the request called it) and
     * refuses, before anything is changed, a target that holds data no pre-restore backup can cover.
     *
     * @return whether a pre-restore backup was taken
     */
    private boolean preBackupOrRefuse(RestoreOperation op, RestoreRequest req, List<RestoreTargets.DatabaseTarget> dbs,
            List<RestoreTargets.MediaTarget> media, ObjectNode report, JobContext ctx) throws Exception {
        List<String> preDbs = new ArrayList<>();
        List<String> preMedia = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        for (RestoreTargets.DatabaseTarget t : dbs) {
            if (t.needsUncoveredChange()) {
                throw new IllegalStateException(RestoreService.uncovered("database '" + t.database() + "'")
                        + "; nothing was changed");
            }
            if (t.asSource() != null && t.exists()) {
                if (!preDbs.contains(t.asSource())) {
                    preDbs.add(t.asSource());
                }
            } else {
                empty.add("database " + t.database());
            }
        }
        for (RestoreTargets.MediaTarget t : media) {
            if (t.needsUncoveredChange()) {
                throw new IllegalStateException(RestoreService.uncovered("media directory " + t.path())
                        + "; nothing was changed");
            }
            if (t.asSource() != null && java.nio.file.Files.isDirectory(t.path())) {
                if (!preMedia.contains(t.asSource().name())) {
                    preMedia.add(t.asSource().name());
                }
            } else {
                empty.add("media directory " + t.path());
            }
        }
        if (!empty.isEmpty()) {
            report.put("pre_backup", "skipped for " + String.join(", ", empty) + ": held no data");
        }
        if (preDbs.isEmpty() && preMedia.isEmpty()) {
            return false;
        }
        preBackup(op, req, preDbs, preMedia, ctx);
        return true;
    }

    private void preBackup(RestoreOperation op, RestoreRequest req, List<String> dbNames, List<String> mediaNames,
            JobContext ctx) throws Exception {
        boolean dbs = !dbNames.isEmpty();
        BackupType type = dbs && !mediaNames.isEmpty() ? BackupType.FULL : dbs ? BackupType.DATABASE
                : BackupType.MEDIA;
        // A selective replace only changes those tables; anything wider saves whole databases.
        List<String> tables = "replace".equals(req.restoreMode()) && !req.includeReferencing() ? req.tables()
                : List.of();
        BackupRequest pre = new BackupRequest("pre-restore-" + op.id, type,
                "Taken by restore " + op.id + " before it changed anything", !mediaNames.isEmpty(), null, null,
                dbNames, mediaNames, null, null, tables.isEmpty() ? null : tables, null, null, null, null);
        UUID preId = backups.recordForRestore(pre, op.createdBy);
        restores.preBackup(op.id, preId);
        ctx.progress(Progress.phase("pre-backup", "Backing up what the restore will change"));
        try {
            backupRunner.runBackup(preId, ctx);
        } catch (Exception e) {
            backups.failRecorded(preId, e);
            throw new IllegalStateException("The pre-restore backup failed, so nothing was changed: "
                    + describe(e), e);
        }
    }

    private static void ensureDatabase(PgConnectionInfo source, String name, boolean create, boolean deferCreation)
            throws Exception {
        try (Connection c = source.open(ConnectionFactory.driverManager())) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            if (!create) {
                throw new IllegalStateException("Target database " + name + " does not exist; set create_target "
                        + "to create it");
            }
            if (deferCreation && reachable(source.withDatabase(DatabaseRestore.MAINTENANCE_DB))) {
                return;
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + PgNames.quoteIdent(name));
            }
        }
    }

    private static boolean reachable(PgConnectionInfo db) {
        try (Connection c = db.open(ConnectionFactory.driverManager())) {
            return true;
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    @Override
    public void onFailure(JobOutcome outcome) {
        RestoreService.RestoreJobPayload p = mapper.convertValue(outcome.payload(),
                RestoreService.RestoreJobPayload.class);
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
        restores.fail(p.restoreId(), outcome.state() == JobState.CANCELLED ? BackupStatus.CANCELLED
                : BackupStatus.FAILED, error, null);
    }

    @Override
    public void reconcile() {
        for (RestoreService.Orphan o : restores.orphans()) {
            LOG.warnf("Restore %s was still open after its job ended %s; recording it", o.restoreId(), o.jobState());
            String why = "Its job ended " + o.jobState() + (o.jobError() == null ? "" : ": " + o.jobError())
                    + (JobState.SUCCEEDED.name().equals(o.jobState()) ? " without recording the restore" : "");
            JobState state = JobState.CANCELLED.name().equals(o.jobState()) ? JobState.CANCELLED : JobState.FAILED;
            onFailure(new JobOutcome(o.jobId(), type(), mapper.valueToTree(
                    new RestoreService.RestoreJobPayload(o.restoreId())), state, why));
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
            RestoreRequest req = mapper.treeToValue(restores.get(restoreId).options(), RestoreRequest.class);
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
            JsonNode progress = jobs.get(jobId).progress();
            if (progress != null && progress.hasNonNull("phase")) {
                last = "It last reported phase '" + progress.get("phase").asText() + "'"
                        + (progress.hasNonNull("current_item") ? " (" + progress.get("current_item").asText() + ")" : "")
                        + ". ";
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
