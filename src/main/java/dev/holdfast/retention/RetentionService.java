package dev.holdfast.retention;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.audit.AuditLog;
import dev.holdfast.backup.BackupNotFound;
import dev.holdfast.backup.BackupQueries;
import dev.holdfast.backup.BackupService;
import dev.holdfast.config.RetentionConfig;
import dev.holdfast.domain.ConflictException;
import dev.holdfast.domain.DomainException;
import dev.holdfast.domain.NotFoundException;
import dev.holdfast.domain.Violation;
import dev.holdfast.restore.RestoreOperations;
import dev.holdfast.time.Durations;
import dev.holdfast.time.TimeSource;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Applies retention policies to the catalog: reads one consistent snapshot of the backups and restores, lets the
 * {@link RetentionPlanner} decide, and deletes through {@link BackupService#delete} (archive, then row), auditing
 * each deletion. A schedule's policy ({@code schedule.retention}) covers that schedule's backups; the global policy
 * ({@link RetentionConfig}) covers every other backup: API, CLI and pre-restore backups and those of schedules
 * without a policy of their own.
 */
@ApplicationScoped
public class RetentionService {
    private static final Logger LOG = Logger.getLogger(RetentionService.class);
    /** Policy given with the request. */
    public static final String SOURCE_REQUEST = "request";
    /** The schedule's own policy. */
    public static final String SOURCE_SCHEDULE = "schedule";
    /** holdfast.retention.*. */
    public static final String SOURCE_GLOBAL = "global";
    /** Largest count a rule accepts, as RetentionPolicy's constraints say. */
    static final int MAX_COUNT = 100_000;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectMapper mapper;

    @Inject
    RetentionConfig config;

    @Inject
    TimeSource time;

    @Inject
    BackupService backups;

    @Inject
    AuditLog audit;

    @Inject
    SchedulePolicies schedulePolicies;

    /** A schedule's stored policy (null when it has none), or why it cannot be used, and its time zone. */
    record SchedulePolicy(UUID id, RetentionPolicy policy, String error, ZoneId zone) {
        boolean hasOwn() {
            return policy != null || error != null;
        }
    }

    /** Everything one run decides on. */
    record Snapshot(
            UUID scheduleId,
            RetentionPolicy policy,
            String policySource,
            ZoneId zone,
            Instant now,
            List<RetentionPlanner.Candidate> backups,
            Predicate<RetentionPlanner.Candidate> inScope) {}

    /** The global policy, from configuration. */
    public RetentionPolicy globalPolicy() {
        return new RetentionPolicy(
                count(config.keepLast()),
                count(config.keepDaily()),
                count(config.keepWeekly()),
                count(config.keepMonthly()),
                count(config.keepYearly()),
                config.keepWithin()
                        .filter(d -> !d.isZero())
                        .map(Durations::format)
                        .orElse(null),
                config.maxAge().isZero() ? null : Durations.format(config.maxAge()));
    }

    private static Integer count(java.util.OptionalInt n) {
        return n.isPresent() ? n.getAsInt() : null;
    }

    /** What applying now would do; changes nothing. */
    public RetentionPreview preview(UUID scheduleId, RetentionPolicy adHoc) {
        if (adHoc != null) {
            check(adHoc, "");
        }
        Snapshot s = load(scheduleId, adHoc);
        RetentionPlanner.Plan plan = plan(s);
        List<RetentionPreview.Item> items = plan.verdicts().stream()
                .map(v -> new RetentionPreview.Item(
                        v.backup().id(),
                        v.backup().name(),
                        v.backup().createdAt().atOffset(ZoneOffset.UTC),
                        v.backup().status(),
                        v.group(),
                        v.decision(),
                        v.reasons()))
                .toList();
        int delete = plan.toDelete().size();
        return new RetentionPreview(
                s.policy(),
                s.policySource(),
                scheduleId,
                s.zone().getId(),
                s.now().atOffset(ZoneOffset.UTC),
                items.size() - delete,
                delete,
                items);
    }

    /**
     * Applies a policy: deletes every backup in scope that the plan deletes. A deletion that {@link BackupService}
     * refuses (409: protected or put in use since the snapshot) or that fails is reported and audited, and the run
     * goes on; a backup already gone is skipped.
     *
     * @param subject who acts, for the audit trail ({@link AuditLog#SYSTEM} for automatic runs)
     */
    public RetentionResult apply(UUID scheduleId, RetentionPolicy adHoc, String subject, String name) {
        if (adHoc != null) {
            check(adHoc, "policy.");
        }
        Snapshot s = load(scheduleId, adHoc);
        RetentionPlanner.Plan plan = plan(s);
        List<RetentionResult.Deleted> deleted = new ArrayList<>();
        List<RetentionResult.Failure> failures = new ArrayList<>();
        for (RetentionPlanner.Verdict v : plan.toDelete()) {
            String reason = String.join("; ", v.reasons());
            ObjectNode details = mapper.createObjectNode();
            details.put("reason", reason);
            details.set("policy", mapper.valueToTree(s.policy()));
            details.put("policy_source", s.policySource());
            details.put("schedule_id", scheduleId == null ? null : scheduleId.toString());
            try {
                backups.delete(v.backup().id());
            } catch (BackupNotFound e) {
                continue; // deleted meanwhile, by hand or by another run: nothing left to do
            } catch (RuntimeException e) {
                String error = e instanceof DomainException
                        ? e.getMessage()
                        : e.getMessage()
                                + (e.getCause() == null
                                        ? ""
                                        : ": " + e.getCause().getMessage());
                failures.add(
                        new RetentionResult.Failure(v.backup().id(), v.backup().name(), error));
                details.put("error", error);
                audit.recordAs(
                        subject,
                        name,
                        "retention.delete",
                        "backup",
                        v.backup().id().toString(),
                        AuditLog.Outcome.FAILED,
                        details);
                continue;
            }
            deleted.add(new RetentionResult.Deleted(v.backup().id(), v.backup().name(), reason));
            audit.recordAs(
                    subject,
                    name,
                    "retention.delete",
                    "backup",
                    v.backup().id().toString(),
                    AuditLog.Outcome.SUCCEEDED,
                    details);
        }
        LOG.infof(
                "Retention (%s policy%s): deleted %d, kept %d, failed %d",
                s.policySource(),
                scheduleId == null ? ", global scope" : ", schedule " + scheduleId,
                deleted.size(),
                plan.keptCount(),
                failures.size());
        return new RetentionResult(
                s.policy(),
                s.policySource(),
                scheduleId,
                List.copyOf(deleted),
                plan.keptCount(),
                List.copyOf(failures));
    }

    /**
     * The cluster-wide sweep: the global policy, then each schedule's own. Every part runs whatever the others did.
     *
     * @return what went wrong, empty when every part ran and every deletion succeeded
     */
    public List<String> applyAll(String subject) {
        List<String> errors = new ArrayList<>();
        List<UUID> scopes = new ArrayList<>();
        scopes.add(null);
        scopes.addAll(schedulesWithPolicy());
        for (UUID scheduleId : scopes) {
            String what = scheduleId == null ? "global scope" : "schedule " + scheduleId;
            try {
                RetentionResult r = apply(scheduleId, null, subject, null);
                if (!r.failures().isEmpty()) {
                    errors.add(what + ": " + r.failures().size() + " deletion(s) failed, first: "
                            + r.failures().get(0).error());
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "Retention of the %s failed", what);
                errors.add(what + ": " + e.getMessage());
            }
        }
        return errors;
    }

    RetentionPlanner.Plan plan(Snapshot s) {
        Duration failedFallback = config.maxAge().isZero() ? null : config.maxAge();
        return RetentionPlanner.plan(s.backups(), s.inScope(), s.policy(), failedFallback, s.now(), s.zone());
    }

    /**
     * Refuses a policy whose counts or durations are out of range, naming each field.
     *
     * @param prefix prepended to field names (e.g. {@code policy.})
     */
    static void check(RetentionPolicy p, String prefix) {
        List<Violation> bad = violations(p, prefix);
        if (!bad.isEmpty()) {
            throw new InvalidPolicy(bad);
        }
    }

    static List<Violation> violations(RetentionPolicy p, String prefix) {
        List<Violation> bad = new ArrayList<>();
        Object[][] counts = {
            {"keep_last", p.keepLast()},
            {"keep_daily", p.keepDaily()},
            {"keep_weekly", p.keepWeekly()},
            {"keep_monthly", p.keepMonthly()},
            {"keep_yearly", p.keepYearly()}
        };
        for (Object[] c : counts) {
            Integer n = (Integer) c[1];
            if (n != null && (n < 0 || n > MAX_COUNT)) {
                bad.add(new Violation(prefix + c[0], "must be from 0 to " + MAX_COUNT));
            }
        }
        String[][] durations = {{"keep_within", p.keepWithin()}, {"max_age", p.maxAge()}};
        for (String[] d : durations) {
            if (d[1] != null && !Durations.isValid(d[1])) {
                bad.add(new Violation(prefix + d[0], Durations.EXPECTED));
            }
        }
        return bad;
    }

    /** Reads the schedules, the backups and their restore flags in one repeatable-read transaction. */
    Snapshot load(UUID scheduleId, RetentionPolicy adHoc) {
        Instant now = time.now();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                Map<UUID, SchedulePolicy> schedules = schedules(c);
                RetentionPolicy policy;
                String source;
                ZoneId zone;
                Predicate<RetentionPlanner.Candidate> scope;
                if (scheduleId != null) {
                    SchedulePolicy s = schedules.get(scheduleId);
                    if (s == null) {
                        throw new NotFoundException("Schedule", scheduleId);
                    }
                    if (adHoc == null && s.error() != null) {
                        throw new ConflictException("The retention policy of schedule " + scheduleId + " is invalid ("
                                + s.error() + "); fix it, or give a policy with the request");
                    }
                    policy = adHoc != null ? adHoc : s.policy() != null ? s.policy() : globalPolicy();
                    source = adHoc != null ? SOURCE_REQUEST : s.policy() != null ? SOURCE_SCHEDULE : SOURCE_GLOBAL;
                    zone = s.zone();
                    scope = b -> scheduleId.equals(b.scheduleId());
                } else {
                    policy = adHoc != null ? adHoc : globalPolicy();
                    source = adHoc != null ? SOURCE_REQUEST : SOURCE_GLOBAL;
                    zone = config.timeZone();
                    // A schedule whose own policy is unreadable keeps its backups out of every scope until fixed.
                    scope = b -> b.scheduleId() == null
                            || schedules.get(b.scheduleId()) == null
                            || !schedules.get(b.scheduleId()).hasOwn();
                }
                List<RetentionPlanner.Candidate> all = candidates(c, now.minus(config.keepPreRestoreFor()));
                c.commit();
                return new Snapshot(scheduleId, policy, source, zone, now, all, scope);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not read the catalog for retention: " + e.getMessage(), e);
        }
    }

    private Map<UUID, SchedulePolicy> schedules(Connection c) throws SQLException {
        Map<UUID, SchedulePolicy> out = new HashMap<>();
        for (SchedulePolicies.Stored stored : schedulePolicies.all(c)) {
            UUID id = stored.scheduleId();
            String json = stored.retentionJson();
            ZoneId zone;
            try {
                zone = ZoneId.of(stored.timeZone());
            } catch (DateTimeException e) {
                zone = config.timeZone();
            }
            RetentionPolicy policy = null;
            String error = null;
            if (json != null && !json.equals("null")) {
                try {
                    policy = mapper.readValue(json, RetentionPolicy.class);
                    List<Violation> bad = violations(policy, "");
                    if (!bad.isEmpty()) {
                        error = bad.get(0).field() + ": " + bad.get(0).message();
                        policy = null;
                    }
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    error = e.getOriginalMessage();
                }
            }
            out.put(id, new SchedulePolicy(id, policy, error, zone));
        }
        return out;
    }

    private static List<RetentionPlanner.Candidate> candidates(Connection c, Instant preRestoreSince)
            throws SQLException {
        // Backups and restore flags from their own packages, on this connection: one repeatable-read snapshot.
        Set<UUID> inUse = RestoreOperations.backupsInActiveUse(c);
        Set<UUID> recentPreRestore = RestoreOperations.preRestoreBackupsSince(c, preRestoreSince);
        java.util.Map<UUID, List<UUID>> holders = BackupQueries.holders(c);
        List<RetentionPlanner.Candidate> out = new ArrayList<>();
        for (BackupQueries.Row b : BackupQueries.all(c)) {
            out.add(new RetentionPlanner.Candidate(
                    b.id(),
                    b.name(),
                    b.createdAt(),
                    b.status(),
                    b.type(),
                    b.sources(),
                    b.scheduleId(),
                    b.isProtected(),
                    b.verifyOk(),
                    inUse.contains(b.id()),
                    recentPreRestore.contains(b.id()),
                    holders.getOrDefault(b.id(), List.of())));
        }
        return out;
    }

    /** Every backup of the catalog as retention sees it, now (for the copy retention of each named storage). */
    List<RetentionPlanner.Candidate> candidatesNow() {
        try (Connection c = dataSource.getConnection()) {
            return candidates(c, time.now().minus(config.keepPreRestoreFor()));
        } catch (SQLException e) {
            throw new IllegalStateException("Could not read the backups for retention: " + e.getMessage(), e);
        }
    }

    /** Schedules with a policy of their own (valid or not: an invalid one is reported by its run). */
    List<UUID> schedulesWithPolicy() {
        try (Connection c = dataSource.getConnection()) {
            return schedulePolicies.withOwnPolicy(c);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not list the schedules' retention policies: " + e.getMessage(), e);
        }
    }
}
