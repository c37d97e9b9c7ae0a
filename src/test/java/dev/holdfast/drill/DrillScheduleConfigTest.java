package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.config.DrillConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A drill schedule that cannot work stops the start, naming its key; a good one is normalised. */
class DrillScheduleConfigTest {
    static DrillConfig.DrillSchedule schedule(String cron, String zone, String window) {
        return new DrillConfig.DrillSchedule() {
            @Override
            public String cron() {
                return cron;
            }

            @Override
            public String timeZone() {
                return zone;
            }

            @Override
            public Optional<String> window() {
                return Optional.ofNullable(window);
            }
        };
    }

    @Test
    void aGoodScheduleIsReadWithItsWindow() {
        List<DrillFiring.Due> due = DrillScheduler.configured(
                Map.of("app", schedule("30  3 * * 0", "Europe/Berlin", " 01:00-05:00 ")), Set.of("app", "crm"));
        assertThat(due).containsExactly(new DrillFiring.Due("app", "30 3 * * 0", "Europe/Berlin", "01:00-05:00", null));
    }

    @Test
    void anUnknownSourceABadCronZoneOrWindowNameTheirKey() {
        assertThatThrownBy(() ->
                        DrillScheduler.configured(Map.of("nope", schedule("0 3 * * *", "UTC", null)), Set.of("app")))
                .hasMessageContaining("holdfast.drills.schedule.\"nope\"")
                .hasMessageContaining("[app]");
        assertThatThrownBy(
                        () -> DrillScheduler.configured(Map.of("app", schedule("0 3 * *", "UTC", null)), Set.of("app")))
                .hasMessageContaining("holdfast.drills.schedule.\"app\".cron");
        assertThatThrownBy(() -> DrillScheduler.configured(
                        Map.of("app", schedule("0 3 * * *", "Mars/Olympus", null)), Set.of("app")))
                .hasMessageContaining("holdfast.drills.schedule.\"app\".time-zone");
        assertThatThrownBy(() -> DrillScheduler.configured(
                        Map.of("app", schedule("0 3 * * *", "UTC", "1am-5am")), Set.of("app")))
                .hasMessageContaining("holdfast.drills.schedule.\"app\".window")
                .hasMessageContaining("HH:MM-HH:MM");
    }
}
