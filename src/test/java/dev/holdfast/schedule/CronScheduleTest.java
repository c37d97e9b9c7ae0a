package dev.holdfast.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.time.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cron slots on the wall clock of a zone, across both daylight saving changes, and duration parsing. */
class CronScheduleTest {

    static List<String> runs(String cron, String zone, String from, int n) {
        return CronSchedule.of(cron, zone).nextRuns(Instant.parse(from), n).stream()
                .map(OffsetDateTime::toString)
                .toList();
    }

    @Test
    void dailyRunOnTheSpringForwardNightRunsAnHourLaterInsteadOfBeingDropped() {
        // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that night.
        assertThat(runs("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 5))
                .containsExactly(
                        "2026-03-28T02:30+01:00",
                        "2026-03-29T03:30+02:00",
                        "2026-03-30T02:30+02:00",
                        "2026-03-31T02:30+02:00",
                        "2026-04-01T02:30+02:00");
    }

    @Test
    void everySlotOfTheSkippedHourStillRunsOnceAfterTheChange() {
        assertThat(runs("*/15 2 * * *", "Europe/Berlin", "2026-03-28T02:50:00+01:00", 6))
                .containsExactly(
                        "2026-03-29T03:00+02:00",
                        "2026-03-29T03:15+02:00",
                        "2026-03-29T03:30+02:00",
                        "2026-03-29T03:45+02:00",
                        "2026-03-30T02:00+02:00",
                        "2026-03-30T02:15+02:00");
        // An hourly run whose skipped 02:00 lands on 03:00 runs once there.
        assertThat(runs("0 * * * *", "Europe/Berlin", "2026-03-29T00:30:00+01:00", 3))
                .containsExactly("2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00", "2026-03-29T04:00+02:00");
    }

    @Test
    void dailyRunOnTheFallBackNightRunsOnceAtTheFirstOfTheTwoTwoThirties() {
        // 2026-10-25 in Berlin: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice.
        assertThat(runs("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3))
                .containsExactly("2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00", "2026-10-27T02:30+01:00");
        // Asked just after the first 02:30 fired (how firing asks), the second is not a slot.
        assertThat(runs("30 2 * * *", "Europe/Berlin", "2026-10-25T02:30:04+02:00", 1))
                .containsExactly("2026-10-26T02:30+01:00");
        // Nor when asked during the repeated hour.
        assertThat(runs("30 2 * * *", "Europe/Berlin", "2026-10-25T02:10:00+01:00", 1))
                .containsExactly("2026-10-26T02:30+01:00");
        assertThat(runs("0 * * * *", "Europe/Berlin", "2026-10-25T00:30:00+02:00", 3))
                .containsExactly("2026-10-25T01:00+02:00", "2026-10-25T02:00+02:00", "2026-10-25T03:00+01:00");
    }

    @Test
    void slotsFollowTheZoneAndUnixDayOfWeekRules() {
        assertThat(runs("0 2 * * 1-5", "UTC", "2026-01-01T03:00:00Z", 3))
                .containsExactly("2026-01-02T02:00Z", "2026-01-05T02:00Z", "2026-01-06T02:00Z");
        assertThat(runs("0 9 * * MON", "America/New_York", "2026-07-01T00:00:00Z", 1))
                .containsExactly("2026-07-06T09:00-04:00");
        // Day of month and day of week both restricted: either matches, as in crontab.
        assertThat(runs("0 0 1 * 1", "UTC", "2026-01-27T00:00:00Z", 2))
                .containsExactly("2026-02-01T00:00Z", "2026-02-02T00:00Z");
        assertThat(CronSchedule.of("  0   2 * *  *  ", "UTC").expression()).isEqualTo("0 2 * * *");
    }

    @Test
    void invalidCronsAndZonesSayWhatIsWrong() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        assertThatThrownBy(() -> CronSchedule.firing("61 * * * *", "UTC", now))
                .isInstanceOfSatisfying(
                        CronSchedule.Invalid.class, e -> assertThat(e.field()).isEqualTo("cron"))
                .hasMessageContaining("Value 61 not in range [0, 59]");
        assertThatThrownBy(() -> CronSchedule.firing("0 2 * * * *", "UTC", now))
                .hasMessageContaining("it has 6 fields, not 5");
        assertThatThrownBy(() -> CronSchedule.firing("@daily", "UTC", now)).hasMessageContaining("five-field");
        assertThatThrownBy(() -> CronSchedule.firing("0 0 30 2 *", "UTC", now)).hasMessageContaining("never fires");
        assertThatThrownBy(() -> CronSchedule.firing("0 2 * * *", "Mars/Olympus", now))
                .isInstanceOfSatisfying(
                        CronSchedule.Invalid.class, e -> assertThat(e.field()).isEqualTo("time_zone"))
                .hasMessageContaining("not an IANA time zone");
        assertThatThrownBy(() -> CronSchedule.zone("+02:00")).hasMessageContaining("not an IANA time zone");
        assertThat(CronSchedule.firing("0 0 29 2 *", "UTC", now).next(now))
                .contains(Instant.parse("2028-02-29T00:00:00Z"));
    }

    @Test
    void longestGapCoversTheWeekend() {
        assertThat(CronSchedule.of("0 2 * * 1-5", "UTC").longestGap(Instant.parse("2026-01-01T03:00:00Z"), 10))
                .isEqualTo(Duration.ofDays(3));
    }

    @Test
    void durationsInShortAndIsoForm() {
        assertThat(Durations.parse("26h")).isEqualTo(Duration.ofHours(26));
        assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("1w")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("PT26H")).isEqualTo(Duration.ofHours(26));
        assertThat(Durations.parse("P1DT2H")).isEqualTo(Duration.ofHours(26));
        assertThat(Durations.parse("P2D")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("P1W")).isEqualTo(Duration.ofDays(7));
        assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("must be a duration");
        assertThatThrownBy(() -> Durations.parse("26 hours")).hasMessageContaining("must be a duration");
    }
}
