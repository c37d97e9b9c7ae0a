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
        try {
            ArchiveReader reader = ArchiveReader.open(ArchiveSource.of(storage, backups.storageKeyOf(op.backupId)));
            Manifest manifest = reader.manifest();
            List<String> mediaNames = req.includeMedia()
                    ? manifest.media().stream().map(Manifest.MediaSection::source).toList()
                    : List.of();

            // One percent scale for the job: the pre-restore backup fills its first part, the restore the rest.
            ProgressScale scale = new ProgressScale(ctx);
            boolean pre = req.createPreBackup() && !req.dryRun() && req.target() == null && req.mediaTarget() == null;
            double start = pre ? PRE_BACKUP_SHARE : 0;
            double share = (100.0 - start) / Math.max(1, req.databases().size() + mediaNames.size());
            int part = 0;
            if (pre) {
                preBackup(op, req, mediaNames, scale.part(0, PRE_BACKUP_SHARE));
            } else if (req.createPreBackup() && !req.dryRun()) {
                report.put("pre_backup", "skipped: the target is not a configured source");
            }
            ctx.checkpoint();

            PgTools tools = PgTools.locate(config.pg().binDir());
            int parallelism = config.copy().parallelism().orElse(Runtime.getRuntime().availableProcessors());
            DatabaseRestore engine = new DatabaseRestore(ConnectionFactory.driverManager(), tools)
                    .stagedClean(parallelism, op.id);
            RestoreOptions options = new RestoreOptions(
                    "clean".equals(req.restoreMode()) ? RestoreOptions.Mode.CLEAN : RestoreOptions.Mode.REPLACE,
                    new HashSet<>(req.tables()), req.includeReferencing(), req.dryRun());
            // A staged clean restore creates a missing target by renaming its validated staging database into
            // place, so that no half-restored database ever carries the target's name.
            boolean staged = options.mode() == RestoreOptions.Mode.CLEAN && !req.dryRun() && req.tables().isEmpty()
                    && parallelism >= 2;
            for (String name : req.databases()) {
                Manifest.DatabaseSection section = manifest.databases().stream()
                        .filter(d -> d.source().equals(name)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("The archive has no database " + name));
                SourceRegistry.DatabaseSource src = sources.databases().get(name);
                if (src == null) {
                    throw new IllegalStateException("Database source '" + name + "' is not configured here, so "
                            + "there is nowhere to restore it");
                }
                PgConnectionInfo info = src.connectionInfo();
                if (req.target() != null) {
                    ensureDatabase(info, req.target(), req.createTarget(), staged);
                    info = info.withDatabase(req.target());
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
            for (String name : mediaNames) {
                SourceRegistry.MediaSource src = sources.media().get(name);
                Path target = req.mediaTarget() != null ? Path.of(req.mediaTarget())
                        : src != null ? src.path() : null;
                if (target == null) {
                    throw new IllegalStateException("Media root '" + name + "' is not configured here; give "
                            + "media_target");
                }
                JobContext mc = scale.part(start + share * part, start + share * ++part);
                MediaRestore mr = MediaRestore.of(reader, name, target)
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
            }
        } catch (Exception e) {
            // Keep what was learnt (e.g. a dry run's or a failed validation's report) with the failure.
            restores.fail(op.id, BackupStatus.FAILED, describe(e), report);
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

    private void preBackup(RestoreOperation op, RestoreRequest req, List<String> mediaNames, JobContext ctx)
            throws Exception {
        boolean dbs = !req.databases().isEmpty();
        BackupType type = dbs && !mediaNames.isEmpty() ? BackupType.FULL : dbs ? BackupType.DATABASE
                : BackupType.MEDIA;
        // A selective replace only changes those tables; anything wider saves whole databases.
        List<String> tables = "replace".equals(req.restoreMode()) && !req.includeReferencing() ? req.tables()
                : List.of();
        BackupRequest pre = new BackupRequest("pre-restore-" + op.id, type,
                "Taken by restore " + op.id + " before it changed anything", !mediaNames.isEmpty(), null, null,
                req.databases(), mediaNames, null, null, tables.isEmpty() ? null : tables, null, null, null, null);
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
