package dev.holdfast.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.api.PageRequest;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupView;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.Job;
import dev.holdfast.job.JobService;
import dev.holdfast.notify.DrillFinished;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.time.TimeSource;
import dev.holdfast.time.Timestamps;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Drills in the catalog: validates and queues one (the backup chosen now, so the record says what is drilled),
 * records its start and outcome, lists them and reports statistics per source. Drills on one PostgreSQL server
 * share a resource key, so two never run there at once; they never share the restores' key, so a drill never
 * holds up a real restore.
 */
@ApplicationScoped
public class DrillService {
    static final String DRILL_JOB = "drill";

    static final Map<String, String> SORT_FIELDS =
            Map.of("created_at", "createdAt", "status", "status", "finished_at", "finishedAt");

    @Inject
    BackupService backups;

    @Inject
    JobService jobs;

    @Inject
    SourceRegistry sources;

    @Inject
    HoldfastConfig config;

    @Inject
    TimeSource time;

    @Inject
    EntityManager em;

    @Inject
    ObjectMapper mapper;

    @Inject
    Event<DrillFinished> finished;

    /** Payload of drill jobs. */
    public record DrillJobPayload(UUID drillId) {}

    /** The scratch database naming this installation uses. */
    ScratchTargets scratch() {
        return new ScratchTargets(config.drills().scratchPrefix());
    }

    /** Where drills restore media roots ({@code holdfast.drills.scratch-dir}, default in the temporary directory). */
    java.nio.file.Path scratchDir() {
        return config.drills()
                .scratchDir()
                .map(java.nio.file.Path::of)
                .orElseGet(() -> java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "holdfast-drills"))
                .toAbsolutePath()
                .normalize();
    }

    /** The scratch directory, checked against every configured media root. */
    java.nio.file.Path checkedScratchDir() {
        return DrillMedia.checkScratchDir(
                scratchDir(),
                sources.media().values().stream()
                        .map(SourceRegistry.MediaSource::path)
                        .toList());
    }

    /** Validates and queues a drill of {@code source}, of {@code backupId} or else its latest successful backup. */
    @Transactional
    public DrillView create(String source, UUID backupId, String trigger, String user) {
        SourceRegistry.DatabaseSource src = sources.databases().get(source);
        boolean media = src == null && sources.media().containsKey(source);
        if (src == null && !media) {
            throw new InvalidDrill(
                    "source",
                    "no database or media source '" + source + "' is configured; there are databases "
                            + sources.databases().keySet() + " and media roots "
                            + sources.media().keySet());
        }
        UUID backup = backupId != null ? backupId : latestGood(source);
        if (backup == null) {
            throw new InvalidDrill("source", "source '" + source + "' has no successful backup to drill");
        }
        if (backupId != null) {
            BackupView b = backups.get(backupId);
            if (b.status() != BackupStatus.SUCCEEDED) {
                throw new InvalidDrill("backup_id", "backup " + backupId + " is " + b.status() + ", not SUCCEEDED");
            }
            if (!(media ? b.media() : b.databases()).contains(source)) {
                throw new InvalidDrill(
                        "backup_id",
                        "backup " + backupId + " holds no " + (media ? "media root" : "database") + " '" + source
                                + "'");
            }
        }
        return queue(source, src == null ? MEDIA_KEY : resourceKey(src), backup, trigger, user);
    }

    /**
     * Queues a scheduled drill of {@code source}'s latest successful backup, in the caller's transaction.
     *
     * @return null when the source has none (checked before anything is written, so the caller's transaction
     *     stays usable)
     */
    @Transactional
    public DrillView createScheduled(String source, String user) {
        SourceRegistry.DatabaseSource src = sources.databases().get(source);
        if (src == null && !sources.media().containsKey(source)) {
            return null;
        }
        UUID backup = latestGood(source);
        return backup == null
                ? null
                : queue(source, src == null ? MEDIA_KEY : resourceKey(src), backup, "schedule", user);
    }

    /** Drills of media roots only take this key: one at a time, whichever root. */
    static final String MEDIA_KEY = "drill:media";

    private DrillView queue(String source, String key, UUID backup, String trigger, String user) {
        DrillRun d = new DrillRun();
        d.id = UUID.randomUUID();
        d.source = source;
        d.backupId = backup;
        d.status = DrillStatus.QUEUED;
        d.trigger = trigger;
        d.scratchDatabase = scratch().nameOf(d.id);
        d.createdAt = OffsetDateTime.ofInstant(time.now(), ZoneOffset.UTC);
        d.createdBy = user;
        d.persist();
        Job job = jobs.enqueue(DRILL_JOB, new DrillJobPayload(d.id), key, user);
        d.jobId = job.id;
        return DrillView.of(d);
    }

    /** One key per PostgreSQL server (host, port and parameters of the source's URL, not its database). */
    String resourceKey(SourceRegistry.DatabaseSource src) {
        String url = drillServer(src).jdbcUrl();
        try {
            URI u = URI.create(url.substring("jdbc:".length()));
            return "drill:" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort());
        } catch (RuntimeException e) {
            return "drill:" + src.name();
        }
    }

    /**
     * The server a source's drills create their scratch database on: {@code holdfast.drills.server."<source>"} when
     * configured, else the source's own.
     */
    public PgConnectionInfo drillServer(SourceRegistry.DatabaseSource src) {
        var configured = config.drills().server().get(src.name());
        return configured == null
                ? src.connectionInfo()
                : new PgConnectionInfo(
                        configured.jdbcUrl(),
                        configured.username().orElse(null),
                        configured.password().orElse(null));
    }

    /**
     * Refuses drill servers configured for names that are no database source (a typo would otherwise drill on the
     * source's own server without a word).
     */
    static void checkServers(java.util.Set<String> serverKeys, java.util.Set<String> databaseSources) {
        for (String key : new java.util.TreeSet<>(serverKeys)) {
            if (!databaseSources.contains(key)) {
                throw new IllegalStateException("holdfast.drills.server.\"" + key + "\" names no configured database"
                        + " source; configured: " + new java.util.TreeSet<>(databaseSources));
            }
        }
    }

    /** The newest successful backup holding {@code source}, or null. */
    UUID latestGood(String source) {
        List<?> rows = em.createNativeQuery("SELECT id FROM holdfast.backup WHERE status = 'SUCCEEDED'"
                        + " AND source_names LIKE :s ORDER BY finished_at DESC NULLS LAST, created_at DESC LIMIT 1")
                .setParameter("s", holding(source))
                .getResultList();
        return rows.isEmpty() ? null : (UUID) rows.get(0);
    }

    /** When the newest successful backup holding {@code source} finished, or null. */
    Instant latestGoodAt(String source) {
        Object t = em.createNativeQuery(
                        "SELECT max(finished_at) FROM holdfast.backup WHERE status = 'SUCCEEDED' AND source_names LIKE :s")
                .setParameter("s", holding(source))
                .getSingleResult();
        return Timestamps.instant(t);
    }

    /** The LIKE pattern of the backups whose {@code source_names} (",a,b,") hold {@code source}. */
    private static String holding(String source) {
        return "%," + source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ",%";
    }

    @Transactional
    public DrillView get(UUID id) {
        return DrillView.of(find(id));
    }

    DrillRun find(UUID id) {
        DrillRun d = DrillRun.findById(id);
        if (d == null) {
            throw new DrillNotFound(id);
        }
        return d;
    }

    @Transactional
    public PageRequest.Page<DrillView> list(String source, DrillStatus status, PageRequest page) {
        page.check(config.api().maxPageSize());
        Sort sort = page.toSort(SORT_FIELDS, "created_at", Sort.Direction.Descending);
        List<String> where = new ArrayList<>();
        io.quarkus.panache.common.Parameters p = new io.quarkus.panache.common.Parameters();
        if (source != null) {
            where.add("source = :src");
            p.and("src", source);
        }
        if (status != null) {
            where.add("status = :s");
            p.and("s", status);
        }
        var q = where.isEmpty()
                ? DrillRun.<DrillRun>findAll(sort)
                : DrillRun.<DrillRun>find(String.join(" and ", where), sort, p);
        long total = q.count();
        return PageRequest.Page.of(
                q.page(page.page, page.size).list().stream().map(DrillView::of).toList(), page, total);
    }

    /** Marks the drill running; refuses one that already ended (cancelled while queued). */
    @Transactional
    DrillRun start(UUID id) {
        DrillRun d = find(id);
        if (d.status != DrillStatus.QUEUED) {
            throw new IllegalStateException("Drill " + id + " is " + d.status + " and cannot start");
        }
        d.status = DrillStatus.RUNNING;
        d.startedAt = now();
        return d;
    }

    /**
     * Records the drill's outcome (only while it is still open, so a late writer never overwrites one) and, for a
     * passed or failed drill, fires {@link DrillFinished} for the notifier.
     *
     * @param failedTables the tables ({@code schema.name}) a failure names
     */
    @Transactional
    void finish(
            UUID id,
            DrillStatus status,
            Long recoveryMs,
            DrillValidation.Result result,
            String error,
            List<String> failedTables,
            List<DrillMedia.MediaCheck> media) {
        DrillRun d = find(id);
        if (d.status != DrillStatus.QUEUED && d.status != DrillStatus.RUNNING) {
            return;
        }
        d.status = status;
        d.finishedAt = now();
        d.recoveryMs = recoveryMs;
        d.durationMs = d.startedAt == null
                ? null
                : java.time.Duration.between(d.startedAt, d.finishedAt).toMillis();
        if (result != null) {
            d.tables = mapper.valueToTree(result.tables());
            d.checks = mapper.valueToTree(result.checks());
        }
        if (media != null && !media.isEmpty()) {
            d.media = mapper.valueToTree(media);
        }
        d.error = error;
        if (status == DrillStatus.SUCCEEDED || status == DrillStatus.FAILED) {
            DrillRun previous = DrillRun.<DrillRun>find(
                            "source = ?1 and status in ?2 and id <> ?3",
                            Sort.by("finishedAt", Sort.Direction.Descending),
                            d.source,
                            List.of(DrillStatus.SUCCEEDED, DrillStatus.FAILED),
                            d.id)
                    .firstResult();
            finished.fire(new DrillFinished(
                    d.id,
                    d.source,
                    d.backupId,
                    status == DrillStatus.SUCCEEDED,
                    status == DrillStatus.SUCCEEDED && previous != null && previous.status == DrillStatus.FAILED,
                    d.trigger,
                    recoveryMs == null ? null : recoveryMs / 1000.0,
                    failedTables == null ? List.of() : List.copyOf(failedTables),
                    result == null
                            ? List.of()
                            : result.checks().stream()
                                    .filter(c -> !c.passed())
                                    .map(c -> c.kind() + " " + c.subject())
                                    .toList(),
                    error,
                    d.startedAt == null ? null : d.startedAt.toInstant(),
                    d.finishedAt.toInstant()));
        }
    }

    /**
     * Whether a drill of this catalog is over, so its scratch database may go. An unknown drill is not: its
     * database belongs to another installation sharing the server (with the same prefix), whose drill may be
     * running.
     */
    @Transactional
    public boolean ended(UUID id) {
        DrillRun d = DrillRun.findById(id);
        return d != null && d.status != DrillStatus.QUEUED && d.status != DrillStatus.RUNNING;
    }

    /** Drills still open although their job has ended (failed by a reaped lease, cancelled while queued). */
    @Transactional
    @SuppressWarnings("unchecked")
    List<Object[]> orphans() {
        return em.createNativeQuery(
                        "SELECT d.id, j.state, j.error FROM holdfast.drill_run d"
                                + " JOIN holdfast.job j ON j.id = d.job_id"
                                + " WHERE d.status IN ('QUEUED', 'RUNNING') AND j.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED')")
                .getResultList();
    }

    /** Statistics of every configured database source that has drills or is configured. */
    @Transactional
    public List<DrillStatistics> statistics() {
        List<DrillStatistics> out = new ArrayList<>();
        java.util.TreeSet<String> names =
                new java.util.TreeSet<>(sources.databases().keySet());
        Map<String, HoldfastConfig.Objectives> objectives = sources.objectives();
        names.addAll(objectives.keySet());
        for (Object n : em.createNativeQuery("SELECT DISTINCT source FROM holdfast.drill_run")
                .getResultList()) {
            names.add((String) n);
        }
        for (String source : names) {
            List<DrillRun> recent = DrillRun.<DrillRun>find(
                            "source = ?1 and status in ?2",
                            Sort.by("finishedAt", Sort.Direction.Descending).and("id", Sort.Direction.Descending),
                            source,
                            List.of(DrillStatus.SUCCEEDED, DrillStatus.FAILED))
                    .page(0, 10)
                    .list();
            DrillRun last = recent.isEmpty() ? null : recent.get(0);
            DrillRun lastSuccess = DrillRun.<DrillRun>find(
                            "source = ?1 and status = ?2",
                            Sort.by("finishedAt", Sort.Direction.Descending),
                            source,
                            DrillStatus.SUCCEEDED)
                    .firstResult();
            DrillRun lastFailure = DrillRun.<DrillRun>find(
                            "source = ?1 and status = ?2",
                            Sort.by("finishedAt", Sort.Direction.Descending),
                            source,
                            DrillStatus.FAILED)
                    .firstResult();
            long count = DrillRun.count("source", source);
            Double lastRecovery =
                    lastSuccess == null || lastSuccess.recoveryMs == null ? null : lastSuccess.recoveryMs / 1000.0;
            List<Double> trend = recent.stream()
                    .filter(d -> d.status == DrillStatus.SUCCEEDED && d.recoveryMs != null)
                    .map(d -> d.recoveryMs / 1000.0)
                    .toList();
            out.add(new DrillStatistics(
                    source,
                    count,
                    last == null ? null : last.id,
                    last == null ? null : last.status,
                    last == null ? null : last.finishedAt,
                    lastSuccess == null ? null : lastSuccess.finishedAt,
                    lastFailure == null ? null : lastFailure.finishedAt,
                    lastRecovery,
                    trend,
                    objectives(objectives.get(source), source, lastRecovery)));
        }
        return out;
    }

    /** The source's objectives (null: none) against its measured RPO and {@code rto} (seconds, null: none). */
    private ObjectiveStatus objectives(HoldfastConfig.Objectives o, String source, Double rto) {
        Instant backup = latestGoodAt(source);
        Double rpo = backup == null
                ? null
                : java.time.Duration.between(backup, time.now()).toMillis() / 1000.0;
        return ObjectiveStatus.of(
                o == null ? null : o.rpo().orElse(null),
                rpo,
                o == null ? null : o.rto().orElse(null),
                rto);
    }

    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(time.now(), ZoneOffset.UTC);
    }
}
