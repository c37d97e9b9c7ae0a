package dev.holdfast.schedule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.api.PageRequest;
import dev.holdfast.backup.Backup;
import dev.holdfast.backup.BackupRequest;
import dev.holdfast.backup.BackupService;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupView;
import dev.holdfast.backup.InvalidSelection;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.config.ScheduleConfig;
import dev.holdfast.domain.Violation;
import dev.holdfast.notify.NotificationSettings;
import dev.holdfast.retention.RetentionPolicy;
import dev.holdfast.time.Durations;
import dev.holdfast.time.TimeSource;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceException;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Creates, changes, lists and deletes schedules, and starts a schedule's run on demand. Firing by the clock is
 * {@link ScheduleRunner}'s; both lock the schedule row, so an edit and a firing never overwrite each other.
 */
@ApplicationScoped
public class ScheduleService {
    static final Map<String, String> SORT_FIELDS = Map.of(
            "name",
            "name",
            "created_at",
            "createdAt",
            "updated_at",
            "updatedAt",
            "next_run_at",
            "nextRunAt",
            "last_fired_at",
            "lastFiredAt");
    /** Runs looked at when deriving the overdue threshold: enough to include a weekend or a month's end. */
    static final int GAP_RUNS = 10;

    static final int NEXT_RUNS = 5;

    @Inject
    BackupService backups;

    @Inject
    ObjectMapper mapper;

    @Inject
    TimeSource time;

    @Inject
    ScheduleConfig config;

    @Inject
    HoldfastConfig holdfast;

    @Inject
    ScheduleMetrics metrics;

    @Inject
    EntityManager em;

    /** A request that passed every check, with its parsed parts. */
    private record Checked(
            ScheduleRequest req,
            String name,
            CronSchedule cron,
            boolean enabled,
            Long alertAfterSeconds,
            BackupRequest backup) {}

    /**
     * Checks everything a schedule needs beyond bean validation: cron, zone, duration and the backup request
     * (with BackupService's own rules), reporting every bad field at once.
     */
    private Checked check(ScheduleRequest req, Instant now) {
        List<Violation> bad = new ArrayList<>();
        String zone = req.timeZone() == null || req.timeZone().isBlank()
                ? "UTC"
                : req.timeZone().strip();
        CronSchedule cron = null;
        try {
            CronSchedule.zone(zone);
        } catch (CronSchedule.Invalid e) {
            bad.add(new Violation(e.field(), e.getMessage()));
            zone = "UTC"; // still check the cron itself
        }
        try {
            cron = CronSchedule.firing(req.cron(), zone, now);
        } catch (CronSchedule.Invalid e) {
            bad.add(new Violation(e.field(), e.getMessage()));
        }
        Long alertAfter = null;
        if (req.alertAfter() != null && !req.alertAfter().isBlank()) {
            try {
                alertAfter = Durations.parse(req.alertAfter()).toSeconds();
                if (alertAfter <= 0) {
                    bad.add(new Violation("alert_after", "'" + req.alertAfter() + "' must be longer than zero"));
                }
            } catch (IllegalArgumentException e) {
                bad.add(new Violation("alert_after", e.getMessage()));
            }
        }
        BackupRequest backup = req.backup() == null ? empty() : req.backup();
        try {
            backups.validate(backup);
        } catch (InvalidSelection e) {
            e.violations().forEach(v -> bad.add(new Violation("backup." + v.field(), v.message())));
        }
        if (!bad.isEmpty()) {
            throw new InvalidSchedule(
                    bad.stream().map(v -> v.field() + ": " + v.message()).collect(Collectors.joining("; ")), bad);
        }
        return new Checked(req, req.name().strip(), cron, req.enabled() == null || req.enabled(), alertAfter, backup);
    }

    private static BackupRequest empty() {
        return new BackupRequest(
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** Creates a schedule; it fires first at its first slot after now. */
    @Transactional
    public ScheduleView create(ScheduleRequest req, String user) {
        Instant now = time.now();
        Checked c = check(req, now);
        requireFreeName(c.name(), null);
        Schedule s = new Schedule();
        s.id = UUID.randomUUID();
        s.createdAt = time.now().atOffset(ZoneOffset.UTC);
        s.createdBy = user;
        apply(s, c, now);
        s.persist();
        flush(c.name());
        metrics.init(s.name);
        return view(s, now);
    }

    /**
     * Replaces every field. A schedule whose cron, zone and enabled state stay as they were keeps its pending
     * slot (a due run is not lost to an edit of its description); otherwise it fires first at its first slot after
     * now, and a disabled one not at all.
     */
    @Transactional
    public ScheduleView update(UUID id, ScheduleRequest req) {
        Instant now = time.now();
        Checked c = check(req, now);
        Schedule s = lock(id);
        requireFreeName(c.name(), id);
        String oldName = s.name;
        apply(s, c, now);
        flush(c.name());
        if (!oldName.equals(s.name)) {
            metrics.remove(oldName);
            metrics.init(s.name);
        }
        return view(s, now);
    }

    private void apply(Schedule s, Checked c, Instant now) {
        String zone = c.cron().zone().getId();
        boolean sameTiming = s.enabled
                && c.enabled()
                && s.nextRunAt != null
                && c.cron().expression().equals(s.cron)
                && zone.equals(s.timeZone);
        s.name = c.name();
        s.description = c.req().description();
        s.cron = c.cron().expression();
        s.timeZone = zone;
        s.enabled = c.enabled();
        s.backupRequest = Schedules.toJson(mapper, c.backup());
        s.retention = Schedules.toJson(mapper, c.req().retention());
        s.notifications = Schedules.toJson(mapper, c.req().notifications());
        s.alertAfterSeconds = c.alertAfterSeconds();
        if (!s.enabled) {
            s.nextRunAt = null;
        } else if (!sameTiming) {
            s.nextRunAt =
                    c.cron().next(now).map(t -> t.atOffset(ZoneOffset.UTC)).orElse(null);
        }
        s.updatedAt = time.now().atOffset(ZoneOffset.UTC);
    }

    private void requireFreeName(String name, UUID self) {
        long taken = self == null ? Schedule.count("name", name) : Schedule.count("name = ?1 and id <> ?2", name, self);
        if (taken > 0) {
            throw new ScheduleConflict("A schedule named '" + name + "' already exists");
        }
    }

    private void flush(String name) {
        try {
            em.flush();
        } catch (PersistenceException e) {
            // A concurrent create took the name between our check and our insert (unique constraint).
            if (e.getCause() instanceof org.hibernate.exception.ConstraintViolationException) {
                throw new ScheduleConflict("A schedule named '" + name + "' already exists");
            }
            throw e;
        }
    }

    /** One schedule. */
    @Transactional
    public ScheduleView get(UUID id) {
        return view(find(id), time.now());
    }

    /** A page of schedules, by name unless sorted otherwise. */
    @Transactional
    public PageRequest.Page<ScheduleView> list(Boolean enabled, String q, PageRequest page) {
        page.check(holdfast.api().maxPageSize());
        Sort sort = page.toSort(SORT_FIELDS, "name", Sort.Direction.Ascending);
        List<String> where = new ArrayList<>();
        Parameters p = new Parameters();
        if (enabled != null) {
            where.add("enabled = :enabled");
            p.and("enabled", enabled);
        }
        if (q != null && !q.isBlank()) {
            where.add("(lower(name) like :q or lower(coalesce(description, '')) like :q)");
            p.and("q", "%" + q.toLowerCase(Locale.ROOT).replace("%", "") + "%");
        }
        var query = where.isEmpty()
                ? Schedule.<Schedule>findAll(sort)
                : Schedule.<Schedule>find(String.join(" and ", where), sort, p);
        long total = query.count();
        List<Schedule> rows = query.page(page.page, page.size).list();
        Instant now = time.now();
        Runs runs = runs(rows.stream().map(s -> s.id).toList());
        return PageRequest.Page.of(rows.stream().map(s -> view(s, now, runs)).toList(), page, total);
    }

    /** Deletes a schedule. Its backups stay, no longer linked to it (their schedule_id becomes null). */
    @Transactional
    public void delete(UUID id) {
        Schedule s = lock(id);
        String name = s.name;
        s.delete();
        metrics.remove(name);
    }

    /**
     * Queues the schedule's backup now (trigger {@code api}), whatever its cron and even while disabled.
     *
     * @throws ScheduleConflict while a backup of the schedule is still queued or running
     */
    @Transactional
    public BackupView run(UUID id, String user) {
        Schedule s = lock(id);
        Backup running = Backup.<Backup>find(
                        "scheduleId = ?1 and status in ?2 order by createdAt desc",
                        id,
                        List.of(BackupStatus.QUEUED, BackupStatus.RUNNING))
                .firstResult();
        if (running != null) {
            throw new ScheduleConflict("Schedule '" + s.name + "' already has backup " + running.id + " "
                    + running.status + "; wait for it to end or cancel job " + running.jobId);
        }
        BackupRequest req;
        try {
            req = Schedules.backupRequest(mapper, s.backupRequest == null ? null : s.backupRequest.toString(), s.name);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("The backup request of schedule " + id + " is unreadable", e);
        }
        try {
            backups.validate(req);
        } catch (InvalidSelection e) {
            List<Violation> bad = e.violations().stream()
                    .map(v -> new Violation("backup." + v.field(), v.message()))
                    .toList();
            throw new InvalidSchedule(
                    "The schedule's backup no longer fits the configured sources: " + e.getMessage()
                            + "; update the schedule",
                    bad);
        }
        BackupView b = backups.createScheduled(req, id, "api", user);
        s.lastBackupId = b.id();
        return b;
    }

    private Schedule find(UUID id) {
        Schedule s = Schedule.findById(id);
        if (s == null) {
            throw new ScheduleNotFound(id);
        }
        return s;
    }

    /** The row, locked until the transaction ends: a firing instance skips it meanwhile, and we wait for one. */
    private Schedule lock(UUID id) {
        Schedule s = Schedule.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (s == null) {
            throw new ScheduleNotFound(id);
        }
        return s;
    }

    // --- views ----------------------------------------------------------------------------------

    /** The newest backup and the last success of each of some schedules, read in two queries. */
    private record Runs(Map<UUID, ScheduleView.LastBackup> last, Map<UUID, OffsetDateTime> lastSuccess) {}

    private Runs runs(List<UUID> ids) {
        Map<UUID, ScheduleView.LastBackup> last = new HashMap<>();
        Map<UUID, OffsetDateTime> success = new HashMap<>();
        if (ids.isEmpty()) {
            return new Runs(last, success);
        }
        em.createQuery(
                        "select b.scheduleId, b.id, b.status, b.finishedAt from Backup b where b.scheduleId in :ids "
                                + "and b.createdAt = (select max(n.createdAt) from Backup n where n.scheduleId = b.scheduleId) "
                                + "order by b.id",
                        Object[].class)
                .setParameter("ids", ids)
                .getResultList()
                .forEach(r -> last.putIfAbsent(
                        (UUID) r[0],
                        new ScheduleView.LastBackup((UUID) r[1], (BackupStatus) r[2], (OffsetDateTime) r[3])));
        em.createQuery(
                        "select b.scheduleId, max(b.finishedAt) from Backup b where b.scheduleId in :ids "
                                + "and b.status = :ok group by b.scheduleId",
                        Object[].class)
                .setParameter("ids", ids)
                .setParameter("ok", BackupStatus.SUCCEEDED)
                .getResultList()
                .forEach(r -> success.put((UUID) r[0], (OffsetDateTime) r[1]));
        return new Runs(last, success);
    }

    /**
     * When a schedule counts as overdue (health, statistics, metrics, alerts): its alert_after, or else twice
     * the longest gap between its next runs plus the missed-run grace (a daily schedule: 2 days + 1 hour).
     */
    public Duration alertAfter(String cronExpression, String timeZone, Long alertAfterSeconds, Instant now) {
        return alertAfter(CronSchedule.of(cronExpression, timeZone), alertAfterSeconds, now);
    }

    private Duration alertAfter(CronSchedule cron, Long alertAfterSeconds, Instant now) {
        if (alertAfterSeconds != null) {
            return Duration.ofSeconds(alertAfterSeconds);
        }
        return cron.longestGap(now, GAP_RUNS).multipliedBy(2).plus(config.missedRunGrace());
    }

    private ScheduleView view(Schedule s, Instant now) {
        return view(s, now, runs(List.of(s.id)));
    }

    private ScheduleView view(Schedule s, Instant now, Runs runs) {
        CronSchedule cron = CronSchedule.of(s.cron, s.timeZone);
        boolean derived = s.alertAfterSeconds == null;
        long alertAfter = alertAfter(cron, s.alertAfterSeconds, now).toSeconds();
        return new ScheduleView(
                s.id,
                s.name,
                s.description,
                s.cron,
                s.timeZone,
                s.enabled,
                read(s.backupRequest, BackupRequest.class),
                read(s.retention, RetentionPolicy.class),
                read(s.notifications, NotificationSettings.class),
                alertAfter,
                derived,
                s.nextRunAt == null
                        ? null
                        : s.nextRunAt.atZoneSameInstant(cron.zone()).toOffsetDateTime(),
                s.enabled ? cron.nextRuns(now, NEXT_RUNS) : List.of(),
                s.lastFiredAt,
                runs.last().get(s.id),
                runs.lastSuccess().get(s.id),
                s.createdAt,
                s.updatedAt,
                s.createdBy,
                s.version);
    }

    private <T> T read(JsonNode json, Class<T> type) {
        if (json == null || json.isNull()) {
            return null;
        }
        try {
            return mapper.treeToValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Stored " + type.getSimpleName() + " is unreadable: " + e.getMessage(), e);
        }
    }
}
