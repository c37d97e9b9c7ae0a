package dev.holdfast.restore;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.api.PageRequest;
import dev.holdfast.backup.BackupNotStored;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupSummary;
import dev.holdfast.backup.BackupView;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.JobService;
import dev.holdfast.time.TimeSource;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Restore operations: validates a request against the backup, records it and queues its job; rolls a
 * restore back by restoring its pre-restore backup. Restores share one resource key, so two restores
 * never run at once: a second one waits in the queue until the first has ended.
 */
@ApplicationScoped
public class RestoreService {
    static final String RESTORE_JOB = "restore";
    /** Every restore takes this resource: they run one at a time, whatever their targets. */
    static final String RESOURCE_KEY = "restore";

    static final Map<String, String> SORT_FIELDS =
            Map.of("created_at", "createdAt", "status", "status", "finished_at", "finishedAt");

    @Inject
    BackupService backups;

    @Inject
    Event<RestoreFinished> finished;

    @Inject
    JobService jobs;

    @Inject
    ObjectMapper mapper;

    @Inject
    HoldfastConfig config;

    @Inject
    RestoreTargets targets;

    @Inject
    TimeSource time;

    /** Why a restore into a target that holds data and is no configured source is refused. */
    static String uncovered(String target) {
        return "The target " + target + " holds data and is not a configured source, so no pre-restore backup can "
                + "cover what the restore would change: restore into a new or empty one or a configured source, or "
                + "set create_pre_backup to false to give up rollback";
    }

    private static boolean isEmpty(List<?> l) {
        return l == null || l.isEmpty();
    }

    /** Payload of restore jobs. */
    public record RestoreJobPayload(UUID restoreId) {}

    /** Validates and queues a restore of a backup. */
    @Transactional
    public RestoreView create(UUID backupId, RestoreRequest req, String user, UUID rollbackOf) {
        BackupView b = backups.get(backupId);
        if (b.status() != BackupStatus.SUCCEEDED) {
            throw new BackupNotStored(
                    "Backup " + backupId + " is " + b.status() + " and has no archive to " + "restore");
        }
        List<String> backupDbs = b.databases();
        List<String> backupMedia = b.media();
        // A request that selects only databases (tables, databases, target) leaves media alone, and one that
        // selects only media (paths, globs, media_target) leaves databases alone: a selective restore never
        // touches what it did not select. Naming neither restores everything; include_media decides media.
        boolean dbSelected = !isEmpty(req.tables()) || !isEmpty(req.databases()) || req.target() != null;
        boolean mediaSelected = !isEmpty(req.mediaPaths()) || !isEmpty(req.mediaGlobs()) || req.mediaTarget() != null;
        List<String> dbs =
                !isEmpty(req.databases()) ? req.databases() : mediaSelected && !dbSelected ? List.of() : backupDbs;
        for (int i = 0; i < dbs.size(); i++) {
            if (!backupDbs.contains(dbs.get(i))) {
                throw new InvalidRestoreRequest(
                        "databases[" + i + "]",
                        "backup " + backupId + " holds no " + "database '" + dbs.get(i) + "'; it holds " + backupDbs);
            }
        }
        boolean media = req.includeMedia() == null
                ? !backupMedia.isEmpty() && (mediaSelected || !dbSelected)
                : req.includeMedia();
        if (media && backupMedia.isEmpty()) {
            throw new InvalidRestoreRequest("include_media", "backup " + backupId + " holds no media");
        }
        if (req.target() != null && dbs.size() != 1) {
            throw new InvalidRestoreRequest(
                    "target", "a target database needs exactly one database source; " + "choose it with databases");
        }
        if (req.mediaTarget() != null && (!media || backupMedia.size() != 1)) {
            throw new InvalidRestoreRequest("media_target", "a media target needs exactly one media root");
        }
        String mode = req.restoreMode() == null ? "replace" : req.restoreMode();
        if ("clean".equals(mode) && req.tables() != null && !req.tables().isEmpty()) {
            throw new InvalidRestoreRequest(
                    "tables",
                    "a clean restore recreates whole databases; restore " + "selected tables in replace mode");
        }
        if (dbs.isEmpty() && !media) {
            throw new InvalidRestoreRequest("databases", "nothing to restore");
        }
        boolean dryRun = req.dryRun() != null && req.dryRun();
        boolean preBackup = req.createPreBackup() == null || req.createPreBackup();
        for (String db : dbs) {
            RestoreTargets.DatabaseTarget t = targets.database(db, req.target(), mode);
            if (preBackup && !dryRun && t.needsUncoveredChange()) {
                throw new RestoreRefused(uncovered("database '" + t.database() + "'"));
            }
        }
        if (media) {
            for (String m : backupMedia) {
                RestoreTargets.MediaTarget t = targets.media(m, req.mediaTarget());
                if (preBackup && !dryRun && t.needsUncoveredChange()) {
                    throw new RestoreRefused(uncovered("media directory " + t.path()));
                }
            }
        }
        checkTablesInBackup(b, dbs, req.tables());
        RestoreRequest normalised = new RestoreRequest(
                mode,
                req.createPreBackup() == null || req.createPreBackup(),
                req.verifyBeforeRestore() == null || req.verifyBeforeRestore(),
                req.description(),
                req.dryRun() != null && req.dryRun(),
                req.tables() == null ? List.of() : req.tables(),
                req.includeReferencing() != null && req.includeReferencing(),
                dbs,
                req.target(),
                req.createTarget() != null && req.createTarget(),
                media,
                req.mediaMode() == null ? "replace" : req.mediaMode(),
                req.mediaPaths() == null ? List.of() : req.mediaPaths(),
                req.mediaGlobs() == null ? List.of() : req.mediaGlobs(),
                req.mediaTarget());

        RestoreOperation op = new RestoreOperation();
        op.id = UUID.randomUUID();
        op.backupId = backupId;
        op.status = RestoreStatus.QUEUED;
        op.restoreMode = mode;
        op.dryRun = normalised.dryRun();
        op.description = req.description();
        op.options = mapper.valueToTree(normalised);
        op.createdAt = time.now().atOffset(ZoneOffset.UTC);
        op.createdBy = user;
        op.rollbackOf = rollbackOf;
        op.persist();
        op.jobId = jobs.enqueue(RESTORE_JOB, new RestoreJobPayload(op.id), RESOURCE_KEY, user).id;
        return view(op);
    }

    /**
     * Refuses, at the request, a table the backup's manifest does not list for the databases restored: it
     * would otherwise be accepted (202) and fail in the job.
     */
    private static void checkTablesInBackup(BackupView b, List<String> dbs, List<String> tables) {
        if (tables == null || tables.isEmpty() || b.summary() == null) {
            return;
        }
        java.util.Set<String> known = new java.util.TreeSet<>();
        for (BackupSummary.DatabaseResult d : b.summary().databases()) {
            if (dbs.contains(d.source())) {
                for (BackupSummary.TableResult t : d.tables()) {
                    known.add(t.schema() + "." + t.name());
                    known.add(t.name());
                }
            }
        }
        for (int i = 0; i < tables.size(); i++) {
            if (!known.contains(tables.get(i))) {
                throw new InvalidRestoreRequest(
                        "tables[" + i + "]",
                        "backup " + b.id() + " holds no table '" + tables.get(i) + "' in " + dbs
                                + " (a partitioned table is named by its partitions)");
            }
        }
    }

    /**
     * Undoes a restore by restoring its pre-restore backup the same way (recorded as a new restore with
     * its own pre-restore backup, so a rollback can itself be rolled back).
     */
    @Transactional
    public RestoreView rollback(UUID id, String user) {
        RestoreOperation op = find(id);
        if (op.dryRun) {
            throw new RestoreRefused("Restore " + id + " was a dry run and changed nothing");
        }
        if (op.status != RestoreStatus.SUCCEEDED && op.status != RestoreStatus.FAILED) {
            throw new RestoreRefused(
                    "Restore " + id + " is " + op.status + "; only an ended restore can be " + "rolled back");
        }
        if (op.preBackupId == null) {
            throw new RestoreRefused("Restore " + id + " has no pre-restore backup to roll back to");
        }
        RestoreRequest orig = options(op);
        RestoreRequest back = new RestoreRequest(
                orig.restoreMode(),
                true,
                true,
                "Rollback of restore " + id,
                false,
                List.of(),
                false,
                null,
                null,
                false,
                orig.includeMedia(),
                "replace",
                List.of(),
                List.of(),
                null);
        return create(op.preBackupId, back, user, id);
    }

    /** One restore. */
    @Transactional
    public RestoreView get(UUID id) {
        return view(find(id));
    }

    private RestoreView view(RestoreOperation op) {
        return RestoreView.of(op, options(op), report(op));
    }

    RestoreOperation find(UUID id) {
        RestoreOperation op = RestoreOperation.findById(id);
        if (op == null) {
            throw new RestoreNotFound(id);
        }
        return op;
    }

    /** A page of restores, newest first by default, optionally of one backup. */
    @Transactional
    public PageRequest.Page<RestoreView> list(UUID backupId, RestoreStatus status, PageRequest page) {
        page.check(config.api().maxPageSize());
        Sort sort = page.toSort(SORT_FIELDS, "created_at", Sort.Direction.Descending);
        List<String> where = new ArrayList<>();
        io.quarkus.panache.common.Parameters p = new io.quarkus.panache.common.Parameters();
        if (backupId != null) {
            where.add("backupId = :b");
            p.and("b", backupId);
        }
        if (status != null) {
            where.add("status = :s");
            p.and("s", status);
        }
        var q = where.isEmpty()
                ? RestoreOperation.<RestoreOperation>findAll(sort)
                : RestoreOperation.<RestoreOperation>find(String.join(" and ", where), sort, p);
        long total = q.count();
        return PageRequest.Page.of(
                q.page(page.page, page.size).list().stream().map(this::view).toList(), page, total);
    }

    /** The restore's job, for its progress stream. */
    @Transactional
    public UUID jobOf(UUID id) {
        return find(id).jobId;
    }

    // --- run bookkeeping, each a short transaction ---------------------------------------------

    @Transactional
    RestoreOperation start(UUID id) {
        RestoreOperation op = RestoreOperation.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (op == null) {
            throw new RestoreNotFound(id);
        }
        if (op.status != RestoreStatus.QUEUED) {
            // cancelled (or failed by a reconcile) before its job reached a worker: it must not run
            throw new IllegalStateException("Restore " + id + " is " + op.status + ", not queued; it was not started");
        }
        op.status = RestoreStatus.RUNNING;
        op.startedAt = time.now().atOffset(ZoneOffset.UTC);
        return op;
    }

    @Transactional
    void preBackup(UUID id, UUID backupId) {
        find(id).preBackupId = backupId;
    }

    @Transactional
    void succeed(UUID id, RestoreResult report) {
        RestoreOperation op = RestoreOperation.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (op == null || op.status != RestoreStatus.RUNNING) {
            throw new IllegalStateException(
                    "Restore " + id + " was recorded " + (op == null ? "deleted" : op.status) + " while it ran");
        }
        op.status = RestoreStatus.SUCCEEDED;
        op.report = mapper.valueToTree(report);
        op.finishedAt = time.now().atOffset(ZoneOffset.UTC);
        fireFinished(op);
    }

    private void fireFinished(RestoreOperation op) {
        List<String> dbs = new ArrayList<>();
        List<String> media = new ArrayList<>();
        long rows = 0;
        RestoreResult r = report(op);
        if (r != null) {
            r.databases().forEach(d -> dbs.add(d.source()));
            rows = r.rowsLoaded();
            r.media().forEach(m -> media.add(m.source()));
        }
        if (dbs.isEmpty() && media.isEmpty()) {
            dbs.addAll(options(op).databases());
        }
        // Delivered to AFTER_SUCCESS observers once this transaction commits.
        finished.fire(new RestoreFinished(
                op.id,
                op.backupId,
                op.restoreMode,
                op.dryRun,
                op.rollbackOf,
                op.status,
                dbs,
                media,
                op.startedAt == null ? null : op.startedAt.toInstant(),
                op.finishedAt.toInstant(),
                op.error,
                op.status == RestoreStatus.SUCCEEDED && !op.dryRun ? rows : 0,
                op.createdBy));
    }

    /** Whether the restore is still recorded as running (no outcome has been written for it). */
    @Transactional
    boolean running(UUID id) {
        RestoreOperation op = RestoreOperation.findById(id);
        return op != null && op.status == RestoreStatus.RUNNING;
    }

    @Transactional
    void fail(UUID id, RestoreStatus status, String error, RestoreResult report) {
        RestoreOperation op = RestoreOperation.findById(id);
        if (op == null || op.status == RestoreStatus.SUCCEEDED) {
            return;
        }
        op.status = status;
        op.error = error;
        if (report != null) {
            op.report = mapper.valueToTree(report);
        }
        op.finishedAt = time.now().atOffset(ZoneOffset.UTC);
        fireFinished(op);
    }

    /** Restores whose job has ended while they still say QUEUED or RUNNING, with that job. */
    @Transactional
    List<Orphan> orphans() {
        @SuppressWarnings("unchecked")
        List<Object[]> rows =
                RestoreOperation.getEntityManager().createNativeQuery("""
                SELECT r.id, j.id, j.state, j.error FROM holdfast.restore_operation r
                  JOIN holdfast.job j ON j.id = r.job_id
                 WHERE r.status IN ('QUEUED', 'RUNNING') AND j.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
                """).getResultList();
        return rows.stream()
                .map(r -> new Orphan((UUID) r[0], (UUID) r[1], (String) r[2], (String) r[3]))
                .toList();
    }

    /** A restore row left behind by its job. */
    record Orphan(UUID restoreId, UUID jobId, String jobState, String jobError) {}

    /** Pre-restore backups still QUEUED or RUNNING although the restore that runs them has ended. */
    @Transactional
    List<UUID> orphanedPreBackups() {
        @SuppressWarnings("unchecked")
        List<UUID> ids =
                RestoreOperation.getEntityManager().createNativeQuery("""
                SELECT b.id FROM holdfast.restore_operation r JOIN holdfast.backup b ON b.id = r.pre_backup_id
                 WHERE r.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND b.status IN ('QUEUED', 'RUNNING')
                """).getResultList();
        return ids;
    }

    /** The request the restore runs with, as stored. */
    RestoreRequest options(RestoreOperation op) {
        return mapper.convertValue(op.options, RestoreRequest.class);
    }

    /** The restore's report as stored, or null before it has one. */
    RestoreResult report(RestoreOperation op) {
        return op.report == null || op.report.isNull() ? null : mapper.convertValue(op.report, RestoreResult.class);
    }
}
