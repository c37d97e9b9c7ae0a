package dev.holdfast.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.backup.BackupStatus;
import dev.holdfast.backup.BackupType;
import dev.holdfast.retention.RetentionPlanner.Candidate;
import dev.holdfast.retention.RetentionPlanner.Decision;
import dev.holdfast.retention.RetentionPlanner.Plan;
import dev.holdfast.retention.RetentionPlanner.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The retention planner, rule by rule: plain JUnit, no I/O. */
class RetentionPlannerTest {
    static final Instant NOW = Instant.parse("2027-01-10T12:00:00Z");
    static final UUID NIGHTLY = UUID.fromString("00000000-0000-0000-0000-0000000000a1");
    static final UUID MEDIA_SCHEDULE = UUID.fromString("00000000-0000-0000-0000-0000000000b2");

    static Candidate backup(String at, BackupStatus status, BackupType type, UUID schedule, List<String> sources) {
        return new Candidate(
                UUID.randomUUID(), at, Instant.parse(at), status, type, sources, schedule, false, null, false, false);
    }

    /** A successful database backup of {@code app} from the nightly schedule, named after its time. */
    static Candidate ok(String at) {
        return backup(at, BackupStatus.SUCCEEDED, BackupType.DATABASE, NIGHTLY, List.of("app"));
    }

    static Candidate failed(String at) {
        return backup(at, BackupStatus.FAILED, BackupType.DATABASE, NIGHTLY, List.of("app"));
    }

    static Candidate with(Candidate c, boolean isProtected, Boolean verifyOk, boolean inUse, boolean preRestore) {
        return new Candidate(
                c.id(),
                c.name(),
                c.createdAt(),
                c.status(),
                c.type(),
                c.sources(),
                c.scheduleId(),
                isProtected,
                verifyOk,
                inUse,
                preRestore);
    }

    static RetentionPolicy policy(
            Integer last,
            Integer daily,
            Integer weekly,
            Integer monthly,
            Integer yearly,
            String within,
            String maxAge) {
        return new RetentionPolicy(last, daily, weekly, monthly, yearly, within, maxAge);
    }

    static Plan plan(List<Candidate> backups, RetentionPolicy p) {
        return RetentionPlanner.plan(backups, p, NOW, ZoneOffset.UTC);
    }

    /** Name → reasons of the kept backups. */
    static Map<String, List<String>> kept(Plan plan) {
        return plan.verdicts().stream()
                .filter(v -> v.decision() == Decision.KEEP)
                .collect(Collectors.toMap(v -> v.backup().name(), Verdict::reasons));
    }

    static List<String> deleted(Plan plan) {
        return plan.toDelete().stream().map(v -> v.backup().name()).toList();
    }

    static Candidate referring(Candidate c, Candidate... holders) {
        return new Candidate(
                c.id(),
                c.name(),
                c.createdAt(),
                c.status(),
                c.type(),
                c.sources(),
                c.scheduleId(),
                c.isProtected(),
                c.verifyOk(),
                c.usedByRestore(),
                c.preRestoreOfRecentRestore(),
                java.util.Arrays.stream(holders).map(Candidate::id).toList());
    }

    @Test
    void aBackupHoldingContentsThatAStayingBackupRefersToIsKeptAndSaysWhy() {
        // full <- inc1 <- inc2 (inc2 refers to full and inc1, flat); an unrelated old full; keep_last 1.
        Candidate old = ok("2027-01-01T01:00:00Z");
        Candidate full = ok("2027-01-06T01:00:00Z");
        Candidate inc1 = referring(ok("2027-01-07T01:00:00Z"), full);
        Candidate inc2 = referring(ok("2027-01-08T01:00:00Z"), full, inc1);
        Plan plan = plan(List.of(old, full, inc1, inc2), policy(1, null, null, null, null, null, null));
        assertThat(deleted(plan)).containsExactly("2027-01-01T01:00:00Z");
        assertThat(kept(plan).get("2027-01-06T01:00:00Z"))
                .singleElement()
                .asString()
                .startsWith("holds file contents of 2027-01-0")
                .endsWith("which stays");
        assertThat(kept(plan).get("2027-01-07T01:00:00Z"))
                .containsExactly("holds file contents of 2027-01-08T01:00:00Z (" + inc2.id() + "), which stays");

        // Once the backup referring to them goes, so may they: a chain is deleted from its end.
        Plan all = plan(List.of(full, inc1, inc2), policy(null, null, null, null, null, null, "1h"));
        assertThat(deleted(all)).isEmpty(); // the newest of app stays, so its holders do
        Candidate newer = ok("2027-01-09T01:00:00Z");
        Plan later = plan(List.of(full, inc1, inc2, newer), policy(1, null, null, null, null, null, null));
        assertThat(deleted(later))
                .containsExactly("2027-01-08T01:00:00Z", "2027-01-07T01:00:00Z", "2027-01-06T01:00:00Z");

        // A backup out of the policy's scope (another schedule) still keeps its holders in scope.
        Candidate foreign = referring(
                backup("2027-01-09T02:00:00Z", BackupStatus.SUCCEEDED, BackupType.MEDIA, MEDIA_SCHEDULE, List.of("m")),
                full);
        Plan scoped = RetentionPlanner.plan(
                List.of(full, inc1, inc2, newer, foreign),
                c -> NIGHTLY.equals(c.scheduleId()),
                policy(1, null, null, null, null, null, null),
                null,
                NOW,
                ZoneOffset.UTC);
        assertThat(deleted(scoped)).containsExactly("2027-01-08T01:00:00Z", "2027-01-07T01:00:00Z");
    }

    @Test
    void keepLastKeepsTheNewestNAndDeletesTheRestBecauseNoRuleKeepsThem() {
        List<Candidate> b = List.of(
                ok("2027-01-09T01:00:00Z"),
                ok("2027-01-08T01:00:00Z"),
                ok("2027-01-07T01:00:00Z"),
                ok("2027-01-06T01:00:00Z"),
                ok("2027-01-05T01:00:00Z"));
        Plan plan = plan(b, policy(3, null, null, null, null, null, null));
        assertThat(kept(plan)).containsOnlyKeys("2027-01-09T01:00:00Z", "2027-01-08T01:00:00Z", "2027-01-07T01:00:00Z");
        assertThat(kept(plan).get("2027-01-08T01:00:00Z")).containsExactly("keep_last 3");
        // The newest is also the last good copy of its source.
        assertThat(kept(plan).get("2027-01-09T01:00:00Z"))
                .containsExactly("keep_last 3", "newest successful backup of app");
        assertThat(deleted(plan)).containsExactly("2027-01-06T01:00:00Z", "2027-01-05T01:00:00Z");
        assertThat(plan.toDelete()).allSatisfy(v -> assertThat(v.reasons()).containsExactly(RetentionPlanner.NO_RULE));
        // Verdicts come newest first.
        assertThat(plan.verdicts().get(0).backup().name()).isEqualTo("2027-01-09T01:00:00Z");
    }

    @Test
    void keepDailyKeepsTheNewestOfEachOfTheLastNDaysThatHaveABackup() {
        List<Candidate> b = List.of(
                ok("2027-01-10T10:00:00Z"),
                ok("2027-01-10T08:00:00Z"),
                // 01-09 has no backup: it does not count as one of the 3 days
                ok("2027-01-08T23:00:00Z"),
                ok("2027-01-08T01:00:00Z"),
                ok("2027-01-05T12:00:00Z"),
                ok("2026-12-31T12:00:00Z"));
        Plan plan = plan(b, policy(null, 3, null, null, null, null, null));
        assertThat(kept(plan)).containsOnlyKeys("2027-01-10T10:00:00Z", "2027-01-08T23:00:00Z", "2027-01-05T12:00:00Z");
        assertThat(kept(plan).get("2027-01-08T23:00:00Z")).containsExactly("daily 2027-01-08");
        assertThat(kept(plan).get("2027-01-05T12:00:00Z")).containsExactly("daily 2027-01-05");
        assertThat(deleted(plan))
                .containsExactly("2027-01-10T08:00:00Z", "2027-01-08T01:00:00Z", "2026-12-31T12:00:00Z");
    }

    @Test
    void keepWeeklyUsesIsoWeeksWithTheirWeekBasedYearAndSkipsWeeksWithoutBackups() {
        List<Candidate> b = List.of(
                ok("2027-01-06T12:00:00Z"), // 2027-W01
                ok("2027-01-04T12:00:00Z"), // 2027-W01 (Monday), older: not kept
                ok("2027-01-01T12:00:00Z"), // Friday, but ISO week 2026-W53
                ok("2026-12-28T12:00:00Z"), // 2026-W53 too
                ok("2026-11-20T12:00:00Z"), // 2026-W47, after a gap of five weeks
                ok("2026-11-16T12:00:00Z"), // 2026-W47
                ok("2026-11-05T12:00:00Z")); // 2026-W45: a fourth week
        Plan plan = plan(b, policy(null, null, 3, null, null, null, null));
        assertThat(kept(plan)).containsOnlyKeys("2027-01-06T12:00:00Z", "2027-01-01T12:00:00Z", "2026-11-20T12:00:00Z");
        assertThat(kept(plan).get("2027-01-06T12:00:00Z")).contains("weekly 2027-W01");
        assertThat(kept(plan).get("2027-01-01T12:00:00Z")).containsExactly("weekly 2026-W53");
        assertThat(kept(plan).get("2026-11-20T12:00:00Z")).containsExactly("weekly 2026-W47");
        assertThat(deleted(plan))
                .containsExactly(
                        "2027-01-04T12:00:00Z", "2026-12-28T12:00:00Z", "2026-11-16T12:00:00Z", "2026-11-05T12:00:00Z");
    }

    @Test
    void keepMonthlyAndYearlyKeepTheNewestOfEachBucketThatHasABackup() {
        List<Candidate> b = List.of(
                ok("2027-01-03T12:00:00Z"),
                ok("2027-01-02T12:00:00Z"),
                // no backup in December or October 2026
                ok("2026-11-29T12:00:00Z"),
                ok("2026-11-01T12:00:00Z"),
                ok("2026-09-15T12:00:00Z"),
                ok("2025-06-01T12:00:00Z"),
                ok("2025-03-01T12:00:00Z"),
                ok("2022-05-01T12:00:00Z"));
        Plan monthly = plan(b, policy(null, null, null, 3, null, null, null));
        assertThat(kept(monthly))
                .containsOnlyKeys("2027-01-03T12:00:00Z", "2026-11-29T12:00:00Z", "2026-09-15T12:00:00Z");
        assertThat(kept(monthly).get("2026-11-29T12:00:00Z")).containsExactly("monthly 2026-11");
        assertThat(kept(monthly).get("2026-09-15T12:00:00Z")).containsExactly("monthly 2026-09");

        Plan yearly = plan(b, policy(null, null, null, null, 3, null, null));
        // 2023 and 2024 have no backup: the third year kept is 2022.
        assertThat(kept(yearly))
                .containsOnlyKeys("2027-01-03T12:00:00Z", "2026-11-29T12:00:00Z", "2025-06-01T12:00:00Z");
        assertThat(kept(yearly).get("2027-01-03T12:00:00Z")).contains("yearly 2027");
        assertThat(kept(yearly).get("2025-06-01T12:00:00Z")).containsExactly("yearly 2025");
        Plan four = plan(b, policy(null, null, null, null, 4, null, null));
        assertThat(kept(four).get("2022-05-01T12:00:00Z")).containsExactly("yearly 2022");
    }

    @Test
    void keepWithinAndMaxAgeKeepEveryBackupYoungerThanTheDuration() {
        List<Candidate> b = List.of(
                ok("2027-01-10T11:00:00Z"),
                ok("2027-01-04T12:00:00Z"),
                ok("2027-01-03T12:00:00Z"),
                ok("2027-01-03T11:59:59Z"),
                ok("2026-12-01T00:00:00Z"));
        Plan within = plan(b, policy(null, null, null, null, null, "7d", null));
        // Exactly 7 days old is still within; one second more is not.
        assertThat(kept(within))
                .containsOnlyKeys("2027-01-10T11:00:00Z", "2027-01-04T12:00:00Z", "2027-01-03T12:00:00Z");
        assertThat(kept(within).get("2027-01-04T12:00:00Z")).containsExactly("within 7d");
        Plan maxAge = plan(b, policy(null, null, null, null, null, null, "P7D"));
        assertThat(kept(maxAge).get("2027-01-04T12:00:00Z")).containsExactly("max_age P7D");
        assertThat(deleted(maxAge)).containsExactly("2027-01-03T11:59:59Z", "2026-12-01T00:00:00Z");
        Plan hours = plan(b, policy(null, null, null, null, null, "2h", null));
        assertThat(kept(hours)).containsOnlyKeys("2027-01-10T11:00:00Z");
    }

    @Test
    void rulesCombineByUnionAndEveryKeepingRuleIsAReason() {
        List<Candidate> b = List.of(
                ok("2027-01-10T10:00:00Z"),
                ok("2027-01-09T10:00:00Z"),
                ok("2026-12-20T10:00:00Z"),
                ok("2026-11-20T10:00:00Z"),
                ok("2026-11-10T10:00:00Z"));
        Plan plan = plan(b, policy(1, null, null, 3, null, "2d", null));
        assertThat(kept(plan).get("2027-01-10T10:00:00Z"))
                .containsExactly("keep_last 1", "monthly 2027-01", "within 2d", "newest successful backup of app");
        assertThat(kept(plan).get("2027-01-09T10:00:00Z")).containsExactly("within 2d");
        assertThat(kept(plan).get("2026-12-20T10:00:00Z")).containsExactly("monthly 2026-12");
        assertThat(kept(plan).get("2026-11-20T10:00:00Z")).containsExactly("monthly 2026-11");
        assertThat(deleted(plan)).containsExactly("2026-11-10T10:00:00Z");
    }

    @Test
    void anEmptyPolicyKeepsEverythingNeverDeletesAll() {
        List<Candidate> b =
                List.of(ok("2027-01-10T10:00:00Z"), ok("2020-01-01T10:00:00Z"), failed("2019-01-01T10:00:00Z"));
        for (RetentionPolicy empty :
                List.of(policy(null, null, null, null, null, null, null), policy(0, 0, 0, 0, 0, "0d", "PT0S"))) {
            assertThat(RetentionPlanner.isEmpty(empty)).isTrue();
            Plan plan = RetentionPlanner.plan(b, c -> true, empty, Duration.ofDays(30), NOW, ZoneOffset.UTC);
            assertThat(plan.toDelete()).isEmpty();
            assertThat(plan.verdicts())
                    .hasSize(3)
                    .allSatisfy(v -> assertThat(v.reasons()).contains(RetentionPlanner.EMPTY_POLICY));
        }
    }

    @Test
    void rulesCountWithinAGroupOfScheduleTypeAndSources() {
        List<Candidate> b = new ArrayList<>();
        for (int day = 1; day <= 4; day++) {
            b.add(ok("2027-01-0" + day + "T01:00:00Z"));
            b.add(backup(
                    "2027-01-0" + day + "T02:00:00Z",
                    BackupStatus.SUCCEEDED,
                    BackupType.MEDIA,
                    MEDIA_SCHEDULE,
                    List.of("uploads")));
            b.add(backup(
                    "2027-01-0" + day + "T03:00:00Z",
                    BackupStatus.SUCCEEDED,
                    BackupType.DATABASE,
                    null,
                    List.of("app")));
            b.add(backup(
                    "2027-01-0" + day + "T04:00:00Z",
                    BackupStatus.SUCCEEDED,
                    BackupType.DATABASE,
                    NIGHTLY,
                    List.of("app", "billing")));
        }
        Plan plan = plan(b, policy(2, null, null, null, null, null, null));
        // Each of the four groups keeps its own newest two: newer media backups never satisfy the nightly's keep_last.
        assertThat(kept(plan))
                .containsOnlyKeys(
                        "2027-01-04T01:00:00Z",
                        "2027-01-03T01:00:00Z",
                        "2027-01-04T02:00:00Z",
                        "2027-01-03T02:00:00Z",
                        "2027-01-04T03:00:00Z",
                        "2027-01-03T03:00:00Z",
                        "2027-01-04T04:00:00Z",
                        "2027-01-03T04:00:00Z");
        Verdict nightly = plan.verdicts().stream()
                .filter(v -> v.backup().name().equals("2027-01-04T01:00:00Z"))
                .findFirst()
                .orElseThrow();
        assertThat(nightly.group()).isEqualTo(new RetentionPlanner.Group(NIGHTLY, BackupType.DATABASE, List.of("app")));
        assertThat(plan.toDelete()).hasSize(8);
    }

    @Test
    void calendarBucketsFollowTheTimeZone() {
        // 23:30 UTC on the 8th is 00:30 on the 9th in Berlin; 22:30 UTC on the 8th is 23:30 on the 8th in Berlin.
        List<Candidate> b = List.of(
                ok("2027-01-09T00:30:00Z"),
                ok("2027-01-08T23:30:00Z"),
                ok("2027-01-08T22:30:00Z"),
                ok("2027-01-07T12:00:00Z"));
        RetentionPolicy daily2 = policy(null, 2, null, null, null, null, null);
        Plan utc = RetentionPlanner.plan(b, daily2, NOW, ZoneOffset.UTC);
        assertThat(kept(utc)).containsOnlyKeys("2027-01-09T00:30:00Z", "2027-01-08T23:30:00Z");
        assertThat(kept(utc).get("2027-01-08T23:30:00Z")).containsExactly("daily 2027-01-08");
        Plan berlin = RetentionPlanner.plan(b, daily2, NOW, ZoneId.of("Europe/Berlin"));
        assertThat(kept(berlin)).containsOnlyKeys("2027-01-09T00:30:00Z", "2027-01-08T22:30:00Z");
        assertThat(kept(berlin).get("2027-01-08T22:30:00Z")).containsExactly("daily 2027-01-08");
        assertThat(kept(berlin).get("2027-01-09T00:30:00Z")).contains("daily 2027-01-09");
        // New York is behind: 00:30 UTC on the 9th is still the 8th there, so the first two share a day.
        Plan newYork = RetentionPlanner.plan(b, daily2, NOW, ZoneId.of("America/New_York"));
        assertThat(kept(newYork)).containsOnlyKeys("2027-01-09T00:30:00Z", "2027-01-07T12:00:00Z");
        // Months too: 23:30 UTC on 31 December is January in Berlin.
        List<Candidate> m = List.of(ok("2027-01-02T10:00:00Z"), ok("2026-12-31T23:30:00Z"), ok("2026-12-30T10:00:00Z"));
        RetentionPolicy monthly2 = policy(null, null, null, 2, null, null, null);
        assertThat(kept(RetentionPlanner.plan(m, monthly2, NOW, ZoneOffset.UTC)))
                .containsOnlyKeys("2027-01-02T10:00:00Z", "2026-12-31T23:30:00Z");
        assertThat(kept(RetentionPlanner.plan(m, monthly2, NOW, ZoneId.of("Europe/Berlin"))))
                .containsOnlyKeys("2027-01-02T10:00:00Z", "2026-12-30T10:00:00Z");
    }

    @Test
    void failuresAreNeitherCountedNorKeptByRulesAndTheirRowsGoAfterMaxAge() {
        List<Candidate> b = new ArrayList<>(
                List.of(ok("2026-12-01T01:00:00Z"), ok("2026-12-02T01:00:00Z"), ok("2026-12-03T01:00:00Z")));
        for (int i = 10; i < 20; i++) {
            b.add(failed("2026-12-" + i + "T01:00:00Z"));
        }
        Plan plan = RetentionPlanner.plan(
                b, c -> true, policy(2, null, null, null, null, null, null), Duration.ofDays(60), NOW, ZoneOffset.UTC);
        assertThat(kept(plan))
                .containsKeys("2026-12-03T01:00:00Z", "2026-12-02T01:00:00Z")
                .doesNotContainKey("2026-12-01T01:00:00Z");
        assertThat(deleted(plan)).containsExactly("2026-12-01T01:00:00Z");
        // The failed rows are younger than the fallback max_age (60d): kept, and never by keep_last.
        assertThat(kept(plan).get("2026-12-19T01:00:00Z")).containsExactly("FAILED, younger than max_age 60d");

        // Even keep_last 0 with max_age 1s keeps the newest good copy; the failed rows, all older, go.
        Plan harsh = RetentionPlanner.plan(
                b, c -> true, policy(0, null, null, null, null, null, "1s"), Duration.ofDays(30), NOW, ZoneOffset.UTC);
        assertThat(kept(harsh)).containsOnlyKeys("2026-12-03T01:00:00Z");
        assertThat(kept(harsh).get("2026-12-03T01:00:00Z")).containsExactly("newest successful backup of app");
        assertThat(deleted(harsh)).hasSize(12).contains("2026-12-01T01:00:00Z", "2026-12-02T01:00:00Z");
        assertThat(harsh.toDelete().stream().filter(v -> v.backup().status() == BackupStatus.FAILED))
                .allSatisfy(v -> assertThat(v.reasons())
                        .containsExactly("FAILED, older than max_age 1s (holds no " + "archive)"));

        // Without any max_age, failed rows stay.
        Plan noAge = plan(b, policy(2, null, null, null, null, null, null));
        assertThat(kept(noAge).get("2026-12-15T01:00:00Z")).containsExactly("FAILED: no max_age applies");
    }

    @Test
    void queuedAndRunningBackupsAreNeverTouched() {
        List<Candidate> b = List.of(
                ok("2027-01-10T01:00:00Z"),
                backup("2020-01-01T00:00:00Z", BackupStatus.QUEUED, BackupType.DATABASE, NIGHTLY, List.of("app")),
                backup("2020-01-02T00:00:00Z", BackupStatus.RUNNING, BackupType.DATABASE, NIGHTLY, List.of("app")),
                backup("2020-01-03T00:00:00Z", BackupStatus.CANCELLED, BackupType.DATABASE, NIGHTLY, List.of("app")));
        Plan plan = plan(b, policy(0, null, null, null, null, null, "1s"));
        assertThat(kept(plan).get("2020-01-01T00:00:00Z")).containsExactly("QUEUED: not finished");
        assertThat(kept(plan).get("2020-01-02T00:00:00Z")).containsExactly("RUNNING: not finished");
        assertThat(deleted(plan)).containsExactly("2020-01-03T00:00:00Z");
    }

    @Test
    void neverDeleteRulesHoldWhateverThePolicy() {
        Candidate verified = with(ok("2026-12-01T01:00:00Z"), false, true, false, false);
        Candidate badVerify = with(ok("2026-12-02T01:00:00Z"), false, false, false, false);
        Candidate unverified = ok("2026-12-03T01:00:00Z");
        Candidate plain = ok("2026-11-01T01:00:00Z");
        Candidate isProtected = with(ok("2026-11-02T01:00:00Z"), true, null, false, false);
        Candidate inUse = with(ok("2026-11-03T01:00:00Z"), false, null, true, false);
        Candidate preRestore = with(failed("2026-11-04T01:00:00Z"), false, null, false, true);
        Candidate full = backup(
                "2026-10-01T01:00:00Z", BackupStatus.SUCCEEDED, BackupType.FULL, null, List.of("app", "uploads"));
        Plan plan = plan(
                List.of(verified, badVerify, unverified, plain, isProtected, inUse, preRestore, full),
                policy(0, null, null, null, null, null, "1s"));
        Map<String, List<String>> kept = kept(plan);
        assertThat(kept.get(verified.name())).containsExactly("newest verified backup of app");
        assertThat(kept.get(unverified.name())).containsExactly("newest successful backup of app");
        assertThat(kept.get(isProtected.name())).containsExactly("protected");
        assertThat(kept.get(inUse.name())).containsExactly("used by a queued or running restore");
        assertThat(kept.get(preRestore.name())).containsExactly("pre-restore backup of a recent restore");
        // The only backup of uploads is its last good copy, even though app has newer ones.
        assertThat(kept.get(full.name())).containsExactly("newest successful backup of uploads");
        assertThat(deleted(plan)).containsExactlyInAnyOrder(badVerify.name(), plain.name());
    }

    @Test
    void theNewestOfASourceIsJudgedOverTheWholeCatalogNotOnlyTheScope() {
        Candidate scheduledOld = ok("2026-12-01T01:00:00Z");
        Candidate scheduledNew = ok("2026-12-02T01:00:00Z");
        Candidate apiNewest =
                backup("2026-12-03T01:00:00Z", BackupStatus.SUCCEEDED, BackupType.DATABASE, null, List.of("app"));
        Plan plan = RetentionPlanner.plan(
                List.of(scheduledOld, scheduledNew, apiNewest),
                c -> NIGHTLY.equals(c.scheduleId()),
                policy(0, null, null, null, null, null, "1s"),
                null,
                NOW,
                ZoneOffset.UTC);
        // Only the schedule's backups get a verdict; app keeps its last good copy outside the scope.
        assertThat(plan.verdicts())
                .extracting(v -> v.backup().name())
                .containsExactly(scheduledNew.name(), scheduledOld.name());
        assertThat(plan.toDelete()).hasSize(2);
    }
}
