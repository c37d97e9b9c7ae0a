package dev.holdfast.retention;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupType;
import dev.holdfast.time.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Decides, without any I/O, which backups a {@link RetentionPolicy} keeps and which it deletes, with restic
 * {@code forget} semantics.
 *
 * <ul>
 *   <li>Rules apply within a <em>group</em>: same schedule, same backup type, same set of sources (restic's host and
 *       paths), so keeping the last 7 nightly database backups is never satisfied by media backups.
 *   <li>Only SUCCEEDED backups are counted by rules and kept by them, so a run of failures never pushes good copies out
 *       of {@code keep_last}. {@code keep_last N} keeps the newest N. {@code keep_daily N} keeps the newest backup of
 *       each of the last N days <em>that have a backup</em> (days without one do not count); likewise ISO weeks,
 *       months and years, in the given time zone. {@code keep_within D} and {@code max_age D} keep every backup created
 *       less than D before now. Rules combine by union; every rule that keeps a backup is given as a reason.
 *   <li>A policy without any positive rule keeps everything (it never means "delete all").
 *   <li>FAILED and CANCELLED rows hold no archive: they are deleted once older than the policy's {@code max_age} (or,
 *       without one, the fallback age given, the global {@code holdfast.retention.max-age}). QUEUED and RUNNING
 *       backups are never touched.
 *   <li>Never deleted, whatever the policy: the newest SUCCEEDED backup with {@code verify_ok} of each source, the
 *       newest SUCCEEDED backup of each source (the last good copy), a backup holding file contents that a backup
 *       staying in the catalog refers to (incremental media, said in its reasons), a protected backup, a backup a queued or running
 *       restore uses, and the pre-restore backup of a recent restore (so it can still be rolled back). "Newest of a
 *       source" is judged over every backup the planner is given, not only those in scope.
 * </ul>
 */
public final class RetentionPlanner {
    /** Reason of a successful backup that no rule keeps. */
    public static final String NO_RULE = "no rule keeps it";
    /** Reason of every backup when the policy has no rule. */
    public static final String EMPTY_POLICY = "empty policy keeps everything";

    private static final Comparator<Candidate> NEWEST_FIRST = Comparator.comparing(Candidate::createdAt)
            .thenComparing(Candidate::id)
            .reversed();

    private RetentionPlanner() {}

    /**
     * A backup as retention sees it.
     *
     * @param sources source names (databases and media roots) the backup covers
     * @param usedByRestore a QUEUED or RUNNING restore reads it (or took it as its pre-restore backup)
     * @param preRestoreOfRecentRestore it is the pre-restore backup of a restore younger than keep-pre-restore-for
     * @param holders the backups whose archives hold file contents this (incremental) backup refers to
     */
    public record Candidate(
            UUID id,
            String name,
            Instant createdAt,
            BackupStatus status,
            BackupType type,
            List<String> sources,
            UUID scheduleId,
            boolean isProtected,
            Boolean verifyOk,
            boolean usedByRestore,
            boolean preRestoreOfRecentRestore,
            List<UUID> holders) {
        public Candidate {
            sources = sources.stream().sorted().distinct().toList();
            holders = holders == null ? List.of() : List.copyOf(holders);
        }

        /** A self-contained backup (it refers to no other backup's contents). */
        public Candidate(
                UUID id,
                String name,
                Instant createdAt,
                BackupStatus status,
                BackupType type,
                List<String> sources,
                UUID scheduleId,
                boolean isProtected,
                Boolean verifyOk,
                boolean usedByRestore,
                boolean preRestoreOfRecentRestore) {
            this(
                    id,
                    name,
                    createdAt,
                    status,
                    type,
                    sources,
                    scheduleId,
                    isProtected,
                    verifyOk,
                    usedByRestore,
                    preRestoreOfRecentRestore,
                    List.of());
        }
    }

    /** What rules are counted within: the schedule, the backup type and the source set. */
    @Schema(
            name = "RetentionGroup",
            description = "Retention rules count backups within a group: same schedule, type and sources")
    public record Group(
            @Schema(description = "null: not from a schedule")
            UUID scheduleId,

            BackupType backupType,
            List<String> sources) {
        static Group of(Candidate c) {
            return new Group(c.scheduleId(), c.type(), c.sources());
        }
    }

    /** Keep or delete. */
    @Schema(name = "RetentionDecision")
    public enum Decision {
        @JsonProperty("keep")
        KEEP,
        @JsonProperty("delete")
        DELETE
    }

    /** The decision for one backup, with every reason for it. */
    public record Verdict(Candidate backup, Group group, Decision decision, List<String> reasons) {}

    /** The decisions for every backup in scope, newest first. */
    public record Plan(List<Verdict> verdicts) {
        /** The backups to delete. */
        public List<Verdict> toDelete() {
            return verdicts.stream()
                    .filter(v -> v.decision() == Decision.DELETE)
                    .toList();
        }

        /** How many backups are kept. */
        public int keptCount() {
            return (int)
                    verdicts.stream().filter(v -> v.decision() == Decision.KEEP).count();
        }
    }

    /** Plans over {@code backups}, all in scope, without a fallback age for failed rows. */
    public static Plan plan(Collection<Candidate> backups, RetentionPolicy policy, Instant now, ZoneId zone) {
        return plan(backups, c -> true, policy, null, now, zone);
    }

    /**
     * Decides for every backup in scope.
     *
     * @param backups every backup of the catalog (the newest of each source is judged over all of them)
     * @param inScope which of them the policy covers; only those get a verdict
     * @param failedMaxAge age after which FAILED/CANCELLED rows go when the policy has no max_age (null: never)
     * @param zone the time zone of day, week, month and year buckets
     * @throws IllegalArgumentException when a duration of the policy is invalid
     */
    public static Plan plan(
            Collection<Candidate> backups,
            Predicate<Candidate> inScope,
            RetentionPolicy policy,
            Duration failedMaxAge,
            Instant now,
            ZoneId zone) {
        Map<UUID, List<String>> reasons = new HashMap<>();
        List<Candidate> scoped =
                backups.stream().filter(inScope).sorted(NEWEST_FIRST).toList();
        scoped.forEach(c -> reasons.put(c.id(), new ArrayList<>()));
        boolean empty = isEmpty(policy);

        if (!empty) {
            Map<Group, List<Candidate>> groups = new LinkedHashMap<>();
            for (Candidate c : scoped) {
                if (c.status() == BackupStatus.SUCCEEDED) {
                    groups.computeIfAbsent(Group.of(c), g -> new ArrayList<>()).add(c);
                }
            }
            for (List<Candidate> group : groups.values()) {
                keepByRules(group, policy, now, zone, reasons);
            }
        }
        neverDelete(backups, reasons);

        Duration maxAge = policy.maxAge() != null ? Durations.parse(policy.maxAge()) : null;
        String maxAgeLabel = policy.maxAge() != null
                ? policy.maxAge()
                : failedMaxAge == null ? null : Durations.format(failedMaxAge);
        Duration failedAge = maxAge != null ? maxAge : failedMaxAge;
        List<Verdict> out = new ArrayList<>();
        for (Candidate c : scoped) {
            List<String> why = reasons.get(c.id());
            Decision d = Decision.KEEP;
            switch (c.status()) {
                case QUEUED, RUNNING -> why.add(0, c.status() + ": not finished");
                case FAILED, CANCELLED -> {
                    if (empty) {
                        why.add(0, EMPTY_POLICY);
                    } else if (failedAge == null || failedAge.isZero()) {
                        why.add(0, c.status() + ": no max_age applies");
                    } else if (!c.createdAt().isBefore(now.minus(failedAge))) {
                        why.add(0, c.status() + ", younger than max_age " + maxAgeLabel);
                    } else if (why.isEmpty()) {
                        d = Decision.DELETE;
                        why.add(c.status() + ", older than max_age " + maxAgeLabel + " (holds no archive)");
                    }
                }
                default -> {
                    if (empty) {
                        why.add(0, EMPTY_POLICY);
                    } else if (why.isEmpty()) {
                        d = Decision.DELETE;
                        why.add(NO_RULE);
                    }
                }
            }
            out.add(new Verdict(c, Group.of(c), d, List.copyOf(why)));
        }
        return new Plan(keepHolders(backups, out));
    }

    /**
     * Keeps every backup that holds file contents a backup staying in the catalog refers to, saying which one, until
     * nothing changes (a holder kept this way may itself refer to others). A backup left out of scope stays too, so
     * its holders are kept whatever this policy says of them.
     */
    private static List<Verdict> keepHolders(Collection<Candidate> all, List<Verdict> verdicts) {
        Map<UUID, Verdict> byId = new LinkedHashMap<>();
        verdicts.forEach(v -> byId.put(v.backup().id(), v));
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Candidate c : all) {
                Verdict own = byId.get(c.id());
                if ((own != null && own.decision() == Decision.DELETE)
                        || c.holders().isEmpty()) {
                    continue;
                }
                for (UUID h : c.holders()) {
                    Verdict hv = byId.get(h);
                    if (hv != null && hv.decision() == Decision.DELETE) {
                        String why = "holds file contents of " + c.name() + " (" + c.id() + "), which stays";
                        byId.put(h, new Verdict(hv.backup(), hv.group(), Decision.KEEP, List.of(why)));
                        changed = true;
                    }
                }
            }
        }
        return List.copyOf(byId.values());
    }

    /** Whether a policy has no rule that keeps anything: then it keeps everything. */
    public static boolean isEmpty(RetentionPolicy p) {
        return !positive(p.keepLast())
                && !positive(p.keepDaily())
                && !positive(p.keepWeekly())
                && !positive(p.keepMonthly())
                && !positive(p.keepYearly())
                && !positiveDuration(p.keepWithin())
                && !positiveDuration(p.maxAge());
    }

    private static boolean positive(Integer n) {
        return n != null && n > 0;
    }

    private static boolean positiveDuration(String d) {
        return d != null && !Durations.parse(d).isZero();
    }

    private static void keepByRules(
            List<Candidate> newestFirst, RetentionPolicy p, Instant now, ZoneId zone, Map<UUID, List<String>> reasons) {
        if (positive(p.keepLast())) {
            newestFirst.stream()
                    .limit(p.keepLast())
                    .forEach(c -> reasons.get(c.id()).add("keep_last " + p.keepLast()));
        }
        buckets(newestFirst, p.keepDaily(), "daily", t -> t.toLocalDate().toString(), zone, reasons);
        buckets(
                newestFirst,
                p.keepWeekly(),
                "weekly",
                t -> String.format(
                        Locale.ROOT,
                        "%d-W%02d",
                        t.get(IsoFields.WEEK_BASED_YEAR),
                        t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)),
                zone,
                reasons);
        buckets(
                newestFirst,
                p.keepMonthly(),
                "monthly",
                t -> String.format(Locale.ROOT, "%d-%02d", t.getYear(), t.getMonthValue()),
                zone,
                reasons);
        buckets(newestFirst, p.keepYearly(), "yearly", t -> Integer.toString(t.getYear()), zone, reasons);
        within(newestFirst, p.keepWithin(), "within", now, reasons);
        within(newestFirst, p.maxAge(), "max_age", now, reasons);
    }

    /** Newest of each bucket, for the newest N buckets that have a backup (restic's algorithm). */
    private static void buckets(
            List<Candidate> newestFirst,
            Integer n,
            String label,
            Function<ZonedDateTime, String> bucket,
            ZoneId zone,
            Map<UUID, List<String>> reasons) {
        if (!positive(n)) {
            return;
        }
        String last = null;
        int kept = 0;
        for (Candidate c : newestFirst) {
            if (kept >= n) {
                break;
            }
            String b = bucket.apply(c.createdAt().atZone(zone));
            if (!b.equals(last)) {
                reasons.get(c.id()).add(label + " " + b);
                kept++;
                last = b;
            }
        }
    }

    private static void within(
            List<Candidate> newestFirst, String duration, String label, Instant now, Map<UUID, List<String>> reasons) {
        if (!positiveDuration(duration)) {
            return;
        }
        Instant since = now.minus(Durations.parse(duration));
        for (Candidate c : newestFirst) {
            if (!c.createdAt().isBefore(since)) {
                reasons.get(c.id()).add(label + " " + duration);
            }
        }
    }

    private static void neverDelete(Collection<Candidate> all, Map<UUID, List<String>> reasons) {
        Map<String, Candidate> newestVerified = new HashMap<>();
        Map<String, Candidate> newest = new HashMap<>();
        for (Candidate c : all) {
            if (c.status() != BackupStatus.SUCCEEDED) {
                continue;
            }
            for (String source : c.sources()) {
                newest.merge(source, c, RetentionPlanner::newer);
                if (Boolean.TRUE.equals(c.verifyOk())) {
                    newestVerified.merge(source, c, RetentionPlanner::newer);
                }
            }
        }
        newestVerified.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            List<String> why = reasons.get(e.getValue().id());
            if (why != null) {
                why.add("newest verified backup of " + e.getKey());
            }
        });
        newest.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            List<String> why = reasons.get(e.getValue().id());
            if (why != null) {
                why.add("newest successful backup of " + e.getKey());
            }
        });
        for (Candidate c : all) {
            List<String> why = reasons.get(c.id());
            if (why == null) {
                continue;
            }
            if (c.isProtected()) {
                why.add("protected");
            }
            if (c.usedByRestore()) {
                why.add("used by a queued or running restore");
            }
            if (c.preRestoreOfRecentRestore()) {
                why.add("pre-restore backup of a recent restore");
            }
        }
    }

    private static Candidate newer(Candidate a, Candidate b) {
        return NEWEST_FIRST.compare(a, b) <= 0 ? a : b;
    }
}
