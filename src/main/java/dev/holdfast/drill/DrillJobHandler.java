package dev.holdfast.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveSource;
import dev.holdfast.archive.EncryptedArchives;
import dev.holdfast.archive.Manifest;
import dev.holdfast.audit.AuditLog;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.Encryption;
import dev.holdfast.config.DrillConfig;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.JobSessions;
import dev.holdfast.job.JobState;
import dev.holdfast.job.Progress;
import dev.holdfast.job.StopSignal;
import dev.holdfast.pg.AbortableConnections;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.restore.RestoreOptions;
import dev.holdfast.restore.RestoreReport;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Runs a drill job: restores the drill's backup of its source with the restore engine ({@link DatabaseRestore}, clean
 * mode, one validated transaction) into a fresh scratch database, times it, validates the result
 * ({@link DrillValidation}) and drops the scratch database whatever happened. After a killed service the job's
 * reaped failure, and the start-up reconcile, drop what was left.
 */
@ApplicationScoped
public class DrillJobHandler implements JobHandler {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(DrillJobHandler.class);

    @Inject
    DrillService drills;

    @Inject
    BackupService backups;

    @Inject
    SourceRegistry sources;

    @Inject
    ArchiveStorage storage;

    @Inject
    Encryption encryption;

    @Inject
    dev.holdfast.backup.BackupArchives archives;

    @Inject
    HoldfastConfig config;

    @Inject
    ObjectMapper mapper;

    @Inject
    AuditLog audit;

    @Override
    public String type() {
        return DrillService.DRILL_JOB;
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        DrillService.DrillJobPayload payload = ctx.payload(DrillService.DrillJobPayload.class);
        DrillRun d = drills.start(payload.drillId());
        SourceRegistry.DatabaseSource src = sources.databases().get(d.source);
        // A drill of a media root alone restores that root only; a database's drill covers the backup's roots too.
        boolean mediaOnly = src == null && sources.media().containsKey(d.source);
        if (src == null && !mediaOnly) {
            throw new IllegalStateException("Source '" + d.source + "' is no longer configured");
        }
        ScratchTargets scratch = drills.scratch();
        PgConnectionInfo server = src == null
                ? null
                : drills.drillServer(src).withApplicationName(JobSessions.applicationName(ctx.jobId()));
        for (SourceRegistry.DatabaseSource other : sources.databases().values()) {
            if (scratch.drillOf(other.databaseName()) != null) {
                throw new IllegalStateException("Source '" + other.name() + "' has a database named like a drill's"
                        + " scratch database; change holdfast.drills.scratch-prefix");
            }
        }
        Long recoveryMs = null;
        DrillValidation.Result result = null;
        String error = null;
        Manifest.DatabaseSection drilled = null;
        List<DrillMedia.MediaCheck> media = new ArrayList<>();
        java.nio.file.Path mediaDir = drills.scratchDir().resolve(d.scratchDatabase);
        AbortableConnections connections = new AbortableConnections(ConnectionFactory.driverManager());
        try (StopSignal.Registration stop = ctx.onStop(connections::abortAll)) {
            ctx.progress(Progress.phase("verify", "Opening backup " + d.backupId));
            ArchiveReader reader = ArchiveReader.open(EncryptedArchives.plaintext(
                    ArchiveSource.of(storage, backups.storageKeyOf(d.backupId)), encryption.identities()));
            if (mediaOnly) {
                List<Manifest.MediaSection> roots = reader.manifest().media().stream()
                        .filter(m -> m.source().equals(d.source))
                        .toList();
                if (roots.isEmpty()) {
                    throw new IllegalStateException("Backup " + d.backupId + " holds no media root '" + d.source + "'");
                }
                makeScratchDir(mediaDir);
                long m0 = System.nanoTime();
                error = drillMedia(ctx, reader, roots, mediaDir, media, null);
                recoveryMs = (System.nanoTime() - m0) / 1_000_000;
            } else {
                Manifest.DatabaseSection section = reader.manifest().databases().stream()
                        .filter(s -> s.source().equals(d.source))
                        .findFirst()
                        .orElseThrow(() -> new IllegalStateException(
                                "Backup " + d.backupId + " holds no database '" + d.source + "'"));
                drilled = section;
                if (!reader.manifest().media().isEmpty()) {
                    // Checked and made before the database's restore: a misplaced scratch directory fails the drill
                    // before it spends time, and a killed drill leaves a directory the sweep can tell is its own.
                    makeScratchDir(mediaDir);
                }
                scratch.create(connections, server, d.scratchDatabase);
                PgConnectionInfo target = server.withDatabase(d.scratchDatabase);
                PgTools tools =
                        PgTools.discover(config.pg().binDir(), config.pg().searchPath());
                int parallelism =
                        config.copy().parallelism().orElse(Runtime.getRuntime().availableProcessors());
                long t0 = System.nanoTime();
                RestoreReport report = new DatabaseRestore(connections, tools, parallelism)
                        .run(
                                reader,
                                section,
                                target,
                                RestoreOptions.cleanAll(),
                                p -> ctx.progress(new Progress(
                                        "restore",
                                        null,
                                        p.bytesDone(),
                                        p.bytesTotal(),
                                        (long) p.tablesDone(),
                                        (long) p.tablesTotal(),
                                        p.table() == null ? null : d.source + ":" + p.table(),
                                        null,
                                        "Drill: restoring " + d.source + " into " + d.scratchDatabase)),
                                ctx::checkpoint);
                recoveryMs = (System.nanoTime() - t0) / 1_000_000;
                if (!report.ok()) {
                    error = "The restore failed its validation: " + String.join("; ", report.errors())
                            + report.validation().stream()
                                    .filter(c -> !c.passed())
                                    .map(c -> "; " + c.kind() + " " + c.subject() + ": " + c.detail())
                                    .reduce("", String::concat);
                } else {
                    ctx.checkpoint();
                    ctx.progress(Progress.phase("validate", "Drill: validating " + d.scratchDatabase));
                    try (Connection c = target.open(connections)) {
                        result = DrillValidation.validate(c, section, userChecks(d.source));
                    }
                    if (!result.failures().isEmpty()) {
                        error = "Validation failed: " + String.join("; ", result.failures());
                    }
                    // A full backup's media roots: restored into the scratch directory and read back file by file.
                    long m0 = System.nanoTime();
                    error = drillMedia(ctx, reader, reader.manifest().media(), mediaDir, media, error);
                    recoveryMs += (System.nanoTime() - m0) / 1_000_000;
                }
            }
        } catch (Exception e) {
            // Recorded below with the scratch database dropped first, so the drill's record is its final word.
            error = describe(e);
            if (e instanceof dev.holdfast.job.JobCancelledException) {
                dropScratch(server, scratch, d.scratchDatabase);
                removeScratchDir(mediaDir);
                drills.finish(d.id, DrillStatus.CANCELLED, recoveryMs, result, error, List.of(), media);
                throw e;
            }
        } finally {
            dropScratch(server, scratch, d.scratchDatabase);
            removeScratchDir(mediaDir);
        }
        DrillStatus status = error == null ? DrillStatus.SUCCEEDED : DrillStatus.FAILED;
        drills.finish(d.id, status, recoveryMs, result, error, failedTables(drilled, result, error), media);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("source", d.source);
        details.put("backup_id", String.valueOf(d.backupId));
        details.put("recovery_ms", recoveryMs);
        if (error != null) {
            details.put("error", error);
        }
        audit.recordAs(
                d.createdBy == null ? AuditLog.SYSTEM : d.createdBy,
                null,
                "drill.run",
                "drill",
                d.id.toString(),
                error == null ? AuditLog.Outcome.SUCCEEDED : AuditLog.Outcome.FAILED,
                details);
        if (error != null) {
            throw new IllegalStateException("Drill of " + d.source + " failed: " + error);
        }
        ObjectNode out = mapper.createObjectNode();
        out.put("drill_id", d.id.toString());
        out.put("recovery_ms", recoveryMs);
        return out;
    }

    /**
     * The tables a failure names: those whose rows differ, and those whose entry, or whose qualified name, the
     * error mentions (a damaged entry fails the restore before any row is counted).
     */
    static List<String> failedTables(Manifest.DatabaseSection section, DrillValidation.Result result, String error) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        if (result != null) {
            result.tables().stream().filter(t -> !t.ok()).forEach(t -> out.add(t.schema() + "." + t.name()));
        }
        if (section != null && error != null) {
            for (Manifest.TableEntry t : section.tables()) {
                String qualified = t.schema() + "." + t.name();
                if ((t.entry() != null && error.contains(t.entry())) || error.contains(qualified)) {
                    out.add(qualified);
                }
            }
        }
        return List.copyOf(out);
    }

    private List<DrillValidation.UserCheck> userChecks(String source) {
        Map<String, DrillConfig.Check> checks = config.drills().checks().get(source);
        List<DrillValidation.UserCheck> out = new ArrayList<>();
        if (checks != null) {
            new java.util.TreeMap<>(checks)
                    .forEach((name, c) -> out.add(new DrillValidation.UserCheck(
                            name, c.sql(), c.expected().orElse("true"))));
        }
        return out;
    }

    private void dropScratch(PgConnectionInfo server, ScratchTargets scratch, String database) {
        if (server == null) {
            return; // a media root's drill has no scratch database
        }
        try {
            scratch.drop(ConnectionFactory.driverManager(), server, database);
        } catch (Exception e) {
            LOG.warnf(
                    "Could not drop the drill's scratch database %s (the next sweep will): %s",
                    database, e.getMessage());
        }
    }

    /**
     * Drills each of {@code roots} into {@code dir}, adding its result to {@code results}.
     *
     * @return {@code error} with every root's failure appended
     */
    private String drillMedia(
            JobContext ctx,
            ArchiveReader reader,
            List<Manifest.MediaSection> roots,
            java.nio.file.Path dir,
            List<DrillMedia.MediaCheck> results,
            String error)
            throws java.io.IOException {
        String out = error;
        dev.holdfast.archive.ReferencedArchives references = archives.references();
        for (Manifest.MediaSection ms : roots) {
            ctx.progress(Progress.phase("media", "Drill: restoring media " + ms.source() + " into " + dir));
            DrillMedia.MediaCheck mc =
                    DrillMedia.drill(reader, ms, dir.resolve(ms.source()), p -> {}, ctx::checkpoint, references);
            results.add(mc);
            if (!mc.ok()) {
                out = (out == null ? "" : out + "; ") + mc.error();
            }
        }
        return out;
    }

    /** The drill's directory, made only once the scratch directory is known to be apart from every media root. */
    private void makeScratchDir(java.nio.file.Path dir) throws java.io.IOException {
        drills.checkedScratchDir();
        java.nio.file.Files.createDirectories(dir);
    }

    private static void removeScratchDir(java.nio.file.Path dir) {
        try {
            if (java.nio.file.Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                dev.holdfast.media.MediaRestore.deleteTree(dir);
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warnf(
                    "Could not remove the drill's scratch directory %s (the next sweep will): %s", dir, e.getMessage());
        }
    }

    @Override
    public void onFailure(JobOutcome outcome) {
        UUID id = mapper.convertValue(outcome.payload(), DrillService.DrillJobPayload.class)
                .drillId();
        try {
            DrillView d = drills.get(id);
            SourceRegistry.DatabaseSource src = sources.databases().get(d.source());
            if (src != null) {
                dropScratch(src.connectionInfo(), drills.scratch(), d.scratchDatabase());
            }
            removeScratchDir(drills.scratchDir().resolve(d.scratchDatabase()));
            drills.finish(
                    id,
                    outcome.state() == JobState.CANCELLED ? DrillStatus.CANCELLED : DrillStatus.FAILED,
                    null,
                    null,
                    outcome.error(),
                    List.of(),
                    List.of());
        } catch (RuntimeException e) {
            LOG.warnf("Could not record the end of drill %s: %s", id, e.getMessage());
        }
    }

    @Override
    public void reconcile() {
        try {
            for (Object[] o : drills.orphans()) {
                UUID id = (UUID) o[0];
                String state = String.valueOf(o[1]);
                LOG.warnf("Drill %s was still open after its job ended %s; recording it", id, state);
                onFailure(new JobOutcome(
                        null,
                        type(),
                        mapper.valueToTree(new DrillService.DrillJobPayload(id)),
                        "CANCELLED".equals(state) ? JobState.CANCELLED : JobState.FAILED,
                        "Its job ended " + state + (o[2] == null ? "" : ": " + o[2])));
            }
            sweep();
        } catch (RuntimeException e) {
            LOG.warnf("Drill reconcile failed: %s", e.getMessage());
        }
    }

    /**
     * Drops the scratch databases of this catalog's drills that are over, on every configured server, and removes
     * their scratch directories; returns what went.
     */
    public List<String> sweep() {
        List<String> dropped = new ArrayList<>();
        ScratchTargets scratch = drills.scratch();
        try {
            for (java.nio.file.Path p : DrillMedia.sweep(drills.scratchDir(), scratch, drills::ended)) {
                LOG.infof("Removed the scratch directory %s of a drill that had ended", p);
                dropped.add(p.toString());
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warnf("Could not sweep the drill scratch directory %s: %s", drills.scratchDir(), e.getMessage());
        }
        java.util.Set<String> servers = new java.util.HashSet<>();
        for (SourceRegistry.DatabaseSource src : sources.databases().values()) {
            if (!servers.add(drills.resourceKey(src))) {
                continue;
            }
            try {
                List<String> d =
                        scratch.sweep(ConnectionFactory.driverManager(), drills.drillServer(src), drills::ended);
                d.forEach(db -> LOG.infof("Dropped the scratch database %s of a drill that had ended", db));
                dropped.addAll(d);
            } catch (Exception e) {
                LOG.warnf(
                        "Could not sweep drill scratch databases on the server of source %s: %s",
                        src.name(), e.getMessage());
            }
        }
        return dropped;
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
