package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** A drill server configured for a name that is no database source stops the start, naming the key. */
class DrillServerConfigTest {
    @Test
    void aServerForAnUnknownSourceIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> DrillService.checkServers(Set.of("app", "ap"), Set.of("app", "billing")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holdfast.drills.server.\"ap\"")
                .hasMessageContaining("[app, billing]");
        assertThatCode(() -> DrillService.checkServers(Set.of("billing"), Set.of("app", "billing")))
                .doesNotThrowAnyException();
        assertThatCode(() -> DrillService.checkServers(Set.of(), Set.of())).doesNotThrowAnyException();
    }
}
