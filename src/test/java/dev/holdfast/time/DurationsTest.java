package dev.holdfast.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.config.RetentionConfig;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one duration parser, and the configuration mapping that reads durations through it. */
class DurationsTest {

    @Test
    void shortFormsAndIsoAreAccepted() {
        assertThat(Durations.parse("45s")).isEqualTo(Duration.ofSeconds(45));
        assertThat(Durations.parse("90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("2w")).isEqualTo(Duration.ofDays(14));
        assertThat(Durations.parse("1y")).isEqualTo(Duration.ofDays(365));
        assertThat(Durations.parse(" 7d ")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("P30D")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("PT12H")).isEqualTo(Duration.ofHours(12));
        assertThat(Durations.parse("P1DT6H")).isEqualTo(Duration.ofHours(30));
        assertThat(Durations.parse("P2W")).isEqualTo(Duration.ofDays(14));
        assertThat(Durations.parse("P1Y2M")).isEqualTo(Duration.ofDays(365 + 60));
        assertThat(Durations.parse("PT0.5S")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("0d")).isZero();
    }

    @Test
    void anythingElseIsRefusedWithWhatIsAccepted() {
        for (String bad : new String[] {
            "", "30", "30 days", "-1d", "1.5d", "P", "PT", "P1DT", "1M", "P-1D", "1000000d", "d", "P1.5D"
        }) {
            assertThatThrownBy(() -> Durations.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("30d, 12h, 2w, 1y");
            assertThat(Durations.isValid(bad)).as(bad).isFalse();
        }
        assertThatThrownBy(() -> Durations.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatWritesTheShortestSpellingThatParsesBack() {
        assertThat(Durations.format(Duration.ofDays(30))).isEqualTo("30d");
        assertThat(Durations.format(Duration.ofHours(12))).isEqualTo("12h");
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(Durations.format(Duration.ofSeconds(61))).isEqualTo("61s");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0d");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("PT1.5S");
        for (Duration d : new Duration[] {Duration.ofDays(400), Duration.ofMinutes(61), Duration.ofMillis(1500)}) {
            assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
        }
    }

    static RetentionConfig config(Map<String, String> values) {
        SmallRyeConfig c = new SmallRyeConfigBuilder()
                .withMapping(RetentionConfig.class, "holdfast.retention")
                .withSources(new PropertiesConfigSource(values, "test", 100))
                .build();
        return c.getConfigMapping(RetentionConfig.class, "holdfast.retention");
    }

    @Test
    void configurationDefaultsAndEverySpellingOfDurations() {
        RetentionConfig defaults = config(Map.of());
        assertThat(defaults.enabled()).isTrue();
        assertThat(defaults.maxAge()).isEqualTo(Duration.ofDays(30));
        assertThat(defaults.interval()).isEqualTo(Duration.ofDays(1));
        assertThat(defaults.keepPreRestoreFor()).isEqualTo(Duration.ofDays(7));
        assertThat(defaults.keepWithin()).isEmpty();
        assertThat(defaults.keepLast()).isEmpty();
        assertThat(defaults.timeZone()).isEqualTo(ZoneId.of("UTC"));
        assertThat(defaults.checkEvery()).isEqualTo("1m");

        RetentionConfig set = config(Map.of(
                "holdfast.retention.max-age",
                "2w",
                "holdfast.retention.keep-within",
                "1y",
                "holdfast.retention.interval",
                "PT6H",
                "holdfast.retention.keep-daily",
                "7",
                "holdfast.retention.time-zone",
                "Europe/Berlin"));
        assertThat(set.maxAge()).isEqualTo(Duration.ofDays(14));
        assertThat(set.keepWithin()).contains(Duration.ofDays(365));
        assertThat(set.interval()).isEqualTo(Duration.ofHours(6));
        assertThat(set.keepDaily()).hasValue(7);
        assertThat(set.timeZone()).isEqualTo(ZoneId.of("Europe/Berlin"));

        assertThatThrownBy(() -> config(Map.of("holdfast.retention.max-age", "30 days")))
                .hasStackTraceContaining("30d, 12h, 2w, 1y");
    }
}
