package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.holdfast.api.PageRequest;
import dev.holdfast.archive.ArchiveSummary;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.domain.Violation;
import dev.holdfast.job.JobService;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.time.TimeSource;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The backup catalog: creates backups and their jobs, lists and deletes them, and records each
 * step of a run in its own short transaction (never around the long I/O of the run itself).
 *
 * <p>Longer than most classes on purpose: the request checks, the row's life cycle (queued, running, succeeded or
 * failed, deleted) and its fences against concurrent instances belong together; copies, usage and queries live in
 * {@link BackupCopies}, {@link BackupUsage} and {@link BackupQueries}.
 */
@ApplicationScoped
public class BackupService {
    private static final Logger LOG = Logger.getLogger(BackupService.class);
    static final String BACKUP_JOB = "backup";
    static final String VERIFY_JOB = "verify";
    static final Map<String, String> SORT_FIELDS = Map.of(
            "created_at",
            "createdAt",
            "name",
            "name",
            "status",
            "status",
            "size_bytes",
            "sizeBytes",
            "finished_at",
            "finishedAt",
            "backup_type",
            "backupType");

    @Inject
    SourceRegistry sources;

    @Inject
    JobService jobs;

    @Inject
    ObjectMapper mapper;

    @Inject
    HoldfastConfig config;

    @Inject
    ArchiveStorage storage;

    @Inject
    ScheduleNames scheduleNames;

    @Inject
    BackupUsage usage;

    /** Payload of backup and verify jobs. */
    public record BackupJobPayload(UUID backupId) {}

    @Inject
    Event<BackupFinished> finished;

    @Inject
    Event<VerificationFinished> verified;

    @Inject
    TimeSource time;

    @Inject
    Encryption encryption;

    @Inject
    BackupCopies copies;

    @Inject
    IncrementalChains chains;

    /** Validates the request, records the backup and queues its job, in one transaction. */
    @Transactional
    public BackupView create(BackupRequest req, String user) {
        Backup b = record(req, user);
        b.jobId = jobs.enqueue(BACKUP_JOB, new BackupJobPayload(b.id), null, user).id;
        return recorded(b);
    }

    /**
     * Records and queues a schedule's backup. Joins the caller's transaction, so that a scheduler can
     * claim its due row and queue the run atomically.
     *
     * @param trigger {@code schedule} for a cron run, {@code api} for "run now"
     */
    @Transactional
    public BackupView createScheduled(BackupRequest req, UUID scheduleId, String trigger, String user) {
        Backup b = record(req, user);
        b.scheduleId = scheduleId;
        b.trigger = trigger;
        b.jobId = jobs.enqueue(BACKUP_JOB, new BackupJobPayload(b.id), null, user).id;
        return recorded(b);
    }

    /**
     * Records a backup that another job runs itself (a restore's pre-restore backup): no job of its own.
     */
    @Transactional
    public UUID recordForRestore(BackupRequest req, String user) {
        Backup b = record(req, user);
        b.trigger = "pre-restore";
        return b.id;
    }

    /**
     * Checks a request against the configured sources and options exactly as {@link #create} does, recording
     * nothing; schedules check their backup with it when they are saved.
     *
     * @throws InvalidSelection naming the offending field, as {@link #create} would
     */
    public void validate(BackupRequest req) {
        resolve(req);
    }

    private record Resolved(BackupType type, List<String> dbs, List<String> media, BackupOptions options) {}

    private Resolved resolve(BackupRequest req) {
        BackupType type = req.backupType() == null ? BackupType.FULL : req.backupType();
        List<String> dbs = List.of();
        List<String> media = List.of();
        if (type != BackupType.MEDIA) {
            dbs = pick("databases", req.databases(), sources.databases().keySet());
        }
        boolean includeMedia = type == BackupType.MEDIA
                || (type == BackupType.FULL && (req.includeMedia() == null || req.includeMedia()));
        if (includeMedia) {
            media = pick("media", req.media(), sources.media().keySet());
        } else if (req.media() != null && !req.media().isEmpty()) {
            throw new InvalidSelection(
                    "media", "a " + type.jsonName() + " backup without include_media " + "covers no media roots");
        }
        if (type == BackupType.MEDIA && media.isEmpty()) {
            throw new InvalidSelection(
                    "backup_type",
                    "no media root is configured "
                            + "(holdfast.media.<name>.path), so a media backup would hold nothing");
        }
        if (type == BackupType.DATABASE && (req.includeMedia() != null && req.includeMedia())) {
            throw new InvalidSelection("include_media", "a database backup holds no media");
        }
        String codec = req.compression() != null
                ? req.compression()
                : Boolean.FALSE.equals(req.compressBackup())
                        ? "none"
                        : config.archive().compression();
        if (Boolean.FALSE.equals(req.compressBackup()) && req.compression() != null && !"none".equals(codec)) {
            throw new InvalidSelection("compression", "conflicts with compress_backup false");
        }
        BackupOptions options = new BackupOptions(
                codec,
                BackupRequest.orEmpty(req.includeSchemas()),
                BackupRequest.orEmpty(req.excludeSchemas()),
                BackupRequest.orEmpty(req.includeTables()),
                BackupRequest.orEmpty(req.excludeTables()),
                BackupRequest.orEmpty(req.schemaOnlyTables()),
                BackupRequest.orEmpty(req.mediaInclude()),
                BackupRequest.orEmpty(req.mediaExclude()),
                copies.checkTargets("copy_to", req.copyTo()),
                IncrementalChains.checkRequest(req, media),
                Boolean.TRUE.equals(req.rehash()),
                req.fullEvery());
        for (String glob : options.mediaInclude()) {
            checkGlob("media_include", glob);
        }
        for (String glob : options.mediaExclude()) {
            checkGlob("media_exclude", glob);
        }
        return new Resolved(type, dbs, media, options);
    }

    private Backup record(BackupRequest req, String user) {
        Resolved r = resolve(req);
        BackupType type = r.type();
        List<String> dbs = r.dbs();
        List<String> media = r.media();
        BackupOptions options = r.options();

        Backup b = new Backup();
        b.id = UUID.randomUUID();
        OffsetDateTime now = time.now().atOffset(ZoneOffset.UTC);
        b.name = req.name() == null || req.name().isBlank()
                ? "backup-" + now.format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT))
                : req.name().strip();
        b.description = req.description();
        b.backupType = type;
        b.status = BackupStatus.QUEUED;
        b.databases = Backup.json(mapper, dbs);
        b.media = Backup.json(mapper, media);
        List<String> all = new ArrayList<>(dbs);
        all.addAll(media);
        b.sourceNames = "," + String.join(",", all) + ",";
        b.options = Backup.json(mapper, options);
        b.createdAt = now;
        b.createdBy = user;
        // .age tells a person restoring by hand what the file is (age -d ... | tar -x).
        b.storageKey = b.id + (encryption.enabled() ? ".tar.age" : ".tar");
        b.persist();
        return b;
    }

    private static void checkGlob(String field, String glob) {
        try {
            java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (RuntimeException e) {
            throw new InvalidSelection(field, "'" + glob + "' is not a valid glob: " + e.getMessage());
        }
    }

    private static List<String> pick(String field, List<String> asked, java.util.Set<String> known) {
        if (asked == null || asked.isEmpty()) {
            return List.copyOf(known);
        }
        List<Violation> bad = new ArrayList<>();
        for (int i = 0; i < asked.size(); i++) {
            if (!known.contains(asked.get(i))) {
                bad.add(new Violation(
                        field + "[" + i + "]", "unknown source '" + asked.get(i) + "'; configured: " + known));
            }
        }
        if (!bad.isEmpty()) {
            throw new InvalidSelection(bad);
        }
        return List.copyOf(new LinkedHashSet<>(asked));
    }

    /**
     * The view of a backup recorded in this transaction: it has no copies, refers to no backup and none refers to it,
     * so the three queries of {@link #view} are skipped; its job cannot start before this transaction commits.
     */
    private BackupView recorded(Backup b) {
        return BackupView.of(b, true, mapper, List.of(), List.of(), List.of());
    }

    private BackupView view(Backup b) {
        return BackupView.of(b, true, mapper, copies.of(b.id), chains.holdersOf(b.id), chains.referringTo(b.id));
    }

    /** One backup with its manifest summary. */
    @Transactional
    public BackupView get(UUID id) {
        return view(find(id));
    }

    Backup find(UUID id) {
        Backup b = Backup.findById(id);
        if (b == null) {
            throw new BackupNotFound(id);
        }
        return b;
    }

    /** Filters of the backup list. */
    public record Filter(
            BackupStatus status,
            BackupType type,
            String source,
            OffsetDateTime createdFrom,
            OffsetDateTime createdTo,
            String q,
            UUID scheduleId,
            String trigger,
            BackupCopy.Status copyStatus) {}

    /** A page of backups, newest first by default. */
    @Transactional
    public PageRequest.Page<BackupView> list(Filter f, PageRequest page) {
        page.check(config.api().maxPageSize());
        Sort sort = page.toSort(SORT_FIELDS, "created_at", Sort.Direction.Descending);
        List<String> where = new ArrayList<>();
        Parameters p = new Parameters();
        if (f.status() != null) {
            where.add("status = :status");
            p.and("status", f.status());
        }
        if (f.type() != null) {
            where.add("backupType = :type");
            p.and("type", f.type());
        }
        if (f.source() != null && !f.source().isBlank()) {
            where.add("sourceNames like :source");
            p.and("source", "%," + f.source().replace("%", "").replace("_", "\\_") + ",%");
        }
        if (f.createdFrom() != null) {
            where.add("createdAt >= :from");
            p.and("from", f.createdFrom());
        }
        if (f.createdTo() != null) {
            where.add("createdAt < :to");
            p.and("to", f.createdTo());
        }
        if (f.scheduleId() != null) {
            where.add("scheduleId = :schedule");
            p.and("schedule", f.scheduleId());
        }
        if (f.trigger() != null) {
            where.add("trigger = :trigger");
            p.and("trigger", f.trigger());
        }
        if (f.copyStatus() != null) {
            where.add("id in (select c.backupId from BackupCopy c where c.status = :copyStatus)");
            p.and("copyStatus", f.copyStatus());
        }
        if (f.q() != null && !f.q().isBlank()) {
            where.add("(lower(name) like :q or lower(coalesce(description, '')) like :q)");
            p.and("q", "%" + f.q().toLowerCase(Locale.ROOT).replace("%", "") + "%");
        }
        var query = where.isEmpty()
                ? Backup.<Backup>findAll(sort)
                : Backup.<Backup>find(String.join(" and ", where), sort, p);
        long total = query.count();
        List<Backup> rows = query.page(page.page, page.size).list();
        List<UUID> ids = rows.stream().map(b -> b.id).toList();
        Map<UUID, List<BackupCopy>> copiesOf = copies.of(ids);
        Map<UUID, List<UUID>> referring = chains.referringTo(ids);
        Map<UUID, List<UUID>> holding = chains.holdersOf(ids);
        List<BackupView> items = rows.stream()
                .map(b -> BackupView.of(
                        b,
                        false,
                        mapper,
                        copiesOf.getOrDefault(b.id, List.of()),
                        holding.getOrDefault(b.id, List.of()),
                        referring.getOrDefault(b.id, List.of())))
                .toList();
        return PageRequest.Page.of(items, page, total);
    }

    /**
     * Deletes a finished backup: archive first, then the catalog row.
     *
     * @throws BackupInUse when it is protected, still running or used by a restore
     */
    public void delete(UUID id) {
        Backup b = readOnly(id);
        if (b.status == BackupStatus.QUEUED || b.status == BackupStatus.RUNNING) {
            throw new BackupInUse("Backup " + id + " is " + b.status + "; cancel job " + b.jobId + " first");
        }
        long inUse = restoresUsing(id);
        if (inUse > 0) {
            throw new BackupInUse("Backup " + id + " is used by " + inUse + " queued or running restore(s)");
        }
        if (b.protectedFromDeletion) {
            throw new BackupInUse("Backup " + id + " is protected; unprotect it before deleting it");
        }
        List<BackupCopy> copied = copies.of(id);
        for (BackupCopy c : copied) {
            if (c.status == BackupCopy.Status.QUEUED || c.status == BackupCopy.Status.RUNNING) {
                throw new BackupInUse("Backup " + id + " is being copied to '" + c.storage + "' (job " + c.jobId
                        + "); cancel that job or let it end first");
            }
        }
        // Copies first, the primary archive last: a delete that fails half-way leaves a backup that still restores.
        // Refused, before anything is removed, while an incremental backup refers to contents this one holds.
        chains.deleteUnlessReferenced(id, () -> {
            for (BackupCopy c : copied) {
                copies.deleteStored(id, c);
            }
            try {
                if (b.storageKey != null) {
                    storage.delete(b.storageKey);
                }
            } catch (IOException e) {
                throw new IllegalStateException("Could not delete the archive of backup " + id, e);
            }
        });
    }

    @Transactional
    long restoresUsing(UUID id) {
        return usage.activeRestoresUsing(id);
    }

    @Transactional
    Backup readOnly(UUID id) {
        return find(id);
    }

    /** Protects a backup from deletion (by retention or by hand), or lifts the protection. */
    @Transactional
    public BackupView setProtection(UUID id, boolean protect) {
        Backup b = find(id);
        b.protectedFromDeletion = protect;
        return view(b);
    }

    /** Queues a verification of a stored backup. */
    @Transactional
    public dev.holdfast.job.JobView verify(UUID id, String user) {
        Backup b = find(id);
        if (b.status != BackupStatus.SUCCEEDED) {
            throw new BackupNotStored(
                    "Backup " + id + " is " + b.status + "; only a SUCCEEDED backup has an " + "archive to verify");
        }
        UUID job = jobs.enqueue(VERIFY_JOB, new BackupJobPayload(id), null, user).id;
        return jobs.get(job);
    }

    /** The name of the backup's schedule, null when it has none or it was deleted. */
    @Transactional
    public String scheduleNameOf(Backup b) {
        return b.scheduleId == null ? null : scheduleNames.nameOf(b.scheduleId);
    }

    /** Where the backup's archive is stored (its storage key), whatever its status. */
    @Transactional
    public String storageKeyOf(UUID id) {
        return find(id).storageKey;
    }

    /** The backup's job id, for its progress stream. */
    @Transactional
    public UUID jobOf(UUID id) {
        Backup b = find(id);
        return b.jobId;
    }

    // --- run bookkeeping: each a short transaction ---------------------------------------------

    /**
     * Marks the backup RUNNING and returns it.
     *
     * @throws IllegalStateException when the backup is no longer queued (cancelled, or failed by a reconcile,
     *     before its job reached a worker): it must not run then
     */
    @Transactional
    Backup start(UUID id) {
        Backup b = Backup.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (b == null) {
            throw new BackupNotFound(id);
        }
        if (b.status != BackupStatus.QUEUED) {
            throw new IllegalStateException("Backup " + id + " is " + b.status + ", not queued; it was not started");
        }
        b.status = BackupStatus.RUNNING;
        b.startedAt = time.now().atOffset(ZoneOffset.UTC);
        b.error = null;
        return b;
    }

    /**
     * Records a stored, verified archive.
     *
     * @throws IllegalStateException when the row is no longer RUNNING (its job was given up and the queue failed
     *     it meanwhile): the archive is removed, since the catalog already told everyone the backup failed
     */
    @Transactional
    void succeed(
            UUID id, ArchiveSummary archive, BackupSummary summary, boolean verified, Map<String, byte[]> indexes) {
        Backup b = Backup.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (b == null || b.status != BackupStatus.RUNNING) {
            if (b != null && b.storageKey != null) {
                try {
                    storage.delete(b.storageKey);
                } catch (IOException e) {
                    LOG.warnf("Could not remove the archive of backup %s: %s", id, e.getMessage());
                }
            }
            throw new IllegalStateException("Backup " + id + " was recorded " + (b == null ? "deleted" : b.status)
                    + " while it ran; its archive was not kept");
        }
        b.status = BackupStatus.SUCCEEDED;
        b.finishedAt = time.now().atOffset(ZoneOffset.UTC);
        b.sizeBytes = archive.archiveBytes();
        b.sha256 = archive.archiveSha256();
        b.manifestSha256 = archive.manifestSha256();
        JsonNode enc = archive.manifest().extensions().get(BackupRun.ENCRYPTION_EXTENSION);
        b.encryptedTo = enc == null ? null : enc.get("recipients");
        b.summary = Backup.json(mapper, summary);
        BackupOptions options = mapper.convertValue(b.options, BackupOptions.class);
        chains.recordStored(b, archive.manifest(), options.incremental(), indexes);
        if (verified) {
            b.verifiedAt = b.finishedAt;
            b.verifyOk = true;
            b.verifyFailures = mapper.createArrayNode();
        }
        copies.queueAll(b, options.copyTo());
        fireFinished(b, summary.rows(), summary.rawBytes());
    }

    private void fireFinished(Backup b, long rows, long rawBytes) {
        String scheduleName = null;
        if (b.scheduleId != null) {
            scheduleName = scheduleNames.nameOf(b.scheduleId);
        }
        // Delivered to AFTER_SUCCESS observers once this transaction commits.
        finished.fire(new BackupFinished(
                b.id,
                b.name,
                b.backupType,
                b.status,
                names(b.databases),
                names(b.media),
                b.trigger,
                b.scheduleId,
                scheduleName,
                b.sizeBytes,
                b.startedAt == null ? null : b.startedAt.toInstant(),
                b.finishedAt.toInstant(),
                b.error,
                rows,
                rawBytes));
    }

    /** The source names a backup row's {@code databases} or {@code media} array holds. */
    static List<String> names(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Records a failed or cancelled run, and removes whatever part of its archive exists. */
    @Transactional
    void fail(UUID id, BackupStatus status, String error) {
        // Locked and checked: the job's own hook and a reconcile on another instance may both get here.
        Backup b = Backup.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (b == null || b.status.terminal()) {
            return;
        }
        b.status = status;
        b.error = error;
        b.finishedAt = time.now().atOffset(ZoneOffset.UTC);
        chains.forgetIndexes(id); // recorded ahead while the archive was checked, now of no use
        fireFinished(b, 0, 0);
        if (b.storageKey != null) {
            try {
                storage.delete(b.storageKey);
                storage.discardPartial(b.storageKey);
            } catch (IOException e) {
                LOG.warnf("Could not remove the partial archive of backup %s: %s", id, e.getMessage());
            }
        }
    }

    /** Backups whose own job has ended while they still say QUEUED or RUNNING, with how the job ended. */
    @Transactional
    public List<Orphan> orphans() {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = Backup.getEntityManager().createNativeQuery("""
                SELECT b.id, j.state, j.error FROM holdfast.backup b JOIN holdfast.job j ON j.id = b.job_id
                 WHERE b.status IN ('QUEUED', 'RUNNING') AND j.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
                """).getResultList();
        return rows.stream()
                .map(r -> new Orphan((UUID) r[0], (String) r[1], (String) r[2]))
                .toList();
    }

    /** A backup row left behind by its job; {@code jobState} and {@code jobError} say how the job ended. */
    public record Orphan(UUID backupId, String jobState, String jobError) {}

    /** Records the failure of a backup that another job ran ({@link #recordForRestore}). */
    public void failRecorded(UUID id, Exception e) {
        fail(
                id,
                e instanceof dev.holdfast.job.JobCancelledException c && c.byUser()
                        ? BackupStatus.CANCELLED
                        : BackupStatus.FAILED,
                e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    /** Records a verification outcome. */
    @Transactional
    void recordVerification(UUID id, boolean ok, ArrayNode failures) {
        Backup b = find(id);
        b.verifiedAt = time.now().atOffset(ZoneOffset.UTC);
        b.verifyOk = ok;
        b.verifyFailures = failures;
        List<String> all = names(b.databases);
        all.addAll(names(b.media));
        verified.fire(new VerificationFinished(b.id, b.name, all, ok, failures.size(), b.verifiedAt.toInstant()));
    }
}
