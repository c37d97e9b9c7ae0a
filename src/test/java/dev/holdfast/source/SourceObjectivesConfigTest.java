package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.config.HoldfastConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code holdfast.sources."<name>".objectives}: a misspelt source stops the start naming the key; unset is none. */
class SourceObjectivesConfigTest {
    static HoldfastConfig.SourceSettings settings(Duration rpo, Duration rto) {
        HoldfastConfig.Objectives o = new HoldfastConfig.Objectives() {
            @Override
            public Optional<Duration> rpo() {
                return Optional.ofNullable(rpo);
            }

            @Override
            public Optional<Duration> rto() {
                return Optional.ofNullable(rto);
            }
        };
        return () -> o;
    }

    @Test
    void objectivesOfDatabaseAndMediaSourcesAreKeptAndEmptyOnesLeftOut() {
        Map<String, HoldfastConfig.Objectives> o = SourceRegistry.objectives(
                Map.of(
                        "app", settings(Duration.ofHours(26), Duration.ofMinutes(30)),
                        "uploads", settings(Duration.ofDays(1), null),
                        "crm", settings(null, null)),
                Set.of("app", "uploads", "crm"));
        assertThat(o).containsOnlyKeys("app", "uploads");
        assertThat(o.get("app").rto()).contains(Duration.ofMinutes(30));
        assertThat(o.get("uploads").rto()).isEmpty();
    }

    @Test
    void aNameThatIsNoConfiguredSourceIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> SourceRegistry.objectives(
                        Map.of("ap", settings(Duration.ofHours(1), null)), Set.of("app", "uploads")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holdfast.sources.\"ap\"")
                .hasMessageContaining("[app, uploads]");
    }
}
