package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** Drill windows: inside and outside, wrapping midnight, next starts across a DST change, bad spellings. */
class DrillWindowTest {
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void aWindowHoldsItsStartButNotItsEnd() {
        DrillWindow w = DrillWindow.parse("01:00-05:00", ZoneId.of("UTC"));
        assertThat(w.contains(Instant.parse("2030-01-07T01:00:00Z"))).isTrue();
        assertThat(w.contains(Instant.parse("2030-01-07T04:59:59Z"))).isTrue();
        assertThat(w.contains(Instant.parse("2030-01-07T05:00:00Z"))).isFalse();
        assertThat(w.contains(Instant.parse("2030-01-07T00:59:59Z"))).isFalse();
        assertThat(w.earliestFrom(Instant.parse("2030-01-07T03:00:00Z"))).isEqualTo("2030-01-07T03:00:00Z");
        assertThat(w.earliestFrom(Instant.parse("2030-01-07T06:00:00Z"))).isEqualTo("2030-01-08T01:00:00Z");
        assertThat(w.earliestFrom(Instant.parse("2030-01-07T00:10:00Z"))).isEqualTo("2030-01-07T01:00:00Z");
    }

    @Test
    void aWindowEndingBeforeItStartsWrapsMidnightInItsZone() {
        DrillWindow w = DrillWindow.parse("22:00-02:00", BERLIN);
        // 23:30 and 01:30 Berlin (UTC+1 in January) are inside, 12:00 is not.
        assertThat(w.contains(Instant.parse("2030-01-07T22:30:00Z"))).isTrue();
        assertThat(w.contains(Instant.parse("2030-01-08T00:30:00Z"))).isTrue();
        assertThat(w.contains(Instant.parse("2030-01-07T11:00:00Z"))).isFalse();
        assertThat(w.nextStart(Instant.parse("2030-01-07T11:00:00Z"))).isEqualTo("2030-01-07T21:00:00Z");
    }

    @Test
    void aStartTheSpringForwardSkipsMovesPastTheGap() {
        // 2030-03-31: 02:00 Berlin does not exist; the window opens at 03:00 CEST (01:00 UTC).
        DrillWindow w = DrillWindow.parse("02:00-05:00", BERLIN);
        assertThat(w.nextStart(Instant.parse("2030-03-30T12:00:00Z"))).isEqualTo("2030-03-31T01:00:00Z");
    }

    @Test
    void badWindowsAreRefusedSayingWhatIsAccepted() {
        assertThatThrownBy(() -> DrillWindow.parse("1-5", BERLIN)).hasMessageContaining("HH:MM-HH:MM");
        assertThatThrownBy(() -> DrillWindow.parse("25:00-05:00", BERLIN)).hasMessageContaining("HH:MM-HH:MM");
        assertThatThrownBy(() -> DrillWindow.parse("03:00-03:00", BERLIN)).hasMessageContaining("differ");
    }
}
