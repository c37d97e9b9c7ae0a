package dev.holdfast.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What the outcome events of backups and restores share: the sources they covered and how long they ran. */
public interface FinishedWork {
    List<String> databases();

    List<String> media();

    Instant startedAt();

    Instant finishedAt();

    /** Every source covered: databases then media roots. */
    default List<String> sources() {
        List<String> all = new ArrayList<>(databases());
        all.addAll(media());
        return all;
    }

    /** Wall time from start to end, in seconds (0 when it never started). */
    default double durationSeconds() {
        return startedAt() == null || finishedAt() == null
                ? 0
                : Duration.between(startedAt(), finishedAt()).toMillis() / 1000.0;
    }
}
