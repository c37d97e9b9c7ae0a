package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Met, missed, unmeasured and unset objectives. */
class ObjectiveStatusTest {

    @Test
    void aMeasurementWithinItsObjectiveIsMetAndOneBeyondItIsNot() {
        ObjectiveStatus s = ObjectiveStatus.of(Duration.ofHours(26), 3600.0, Duration.ofMinutes(30), 1801.0);
        assertThat(s.rpoSeconds()).isEqualTo(93600.0);
        assertThat(s.rpoMet()).isTrue();
        assertThat(s.rtoSeconds()).isEqualTo(1800.0);
        assertThat(s.rtoMet()).isFalse();
        assertThat(ObjectiveStatus.of(Duration.ofMinutes(30), 1800.0, null, null)
                        .rpoMet())
                .isTrue();
    }

    @Test
    void nothingMeasuredIsNotMetAndNoObjectiveHasNoVerdict() {
        ObjectiveStatus s = ObjectiveStatus.of(Duration.ofHours(1), null, null, 12.5);
        assertThat(s.rpoMet()).isFalse();
        assertThat(s.rpoMeasuredSeconds()).isNull();
        assertThat(s.rtoSeconds()).isNull();
        assertThat(s.rtoMeasuredSeconds()).isEqualTo(12.5);
        assertThat(s.rtoMet()).isNull();
    }
}
