package dev.holdfast.schedule;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The {@code holdfast_schedule_runs_total{schedule, outcome}} counter: every outcome of every schedule exists from
 * start-up (or creation) at 0, so that alert rules such as {@code increase(...{outcome="missed"}[1d]) > 0} see a
 * series before the first miss.
 */
@ApplicationScoped
public class ScheduleMetrics {
    static final String NAME = "holdfast.schedule.runs";

    @Inject
    MeterRegistry registry;

    /** Registers the schedule's counters at 0 (no-op for those that exist). */
    public void init(String schedule) {
        for (ScheduleFiring.Outcome o : ScheduleFiring.Outcome.values()) {
            counter(schedule, o);
        }
    }

    /** Counts one slot's outcome. */
    public void count(String schedule, ScheduleFiring.Outcome outcome) {
        counter(schedule, outcome).increment();
    }

    /** Drops a deleted or renamed schedule's series. */
    public void remove(String schedule) {
        Search.in(registry).name(NAME).tag("schedule", schedule).meters().forEach(registry::remove);
    }

    private Counter counter(String schedule, ScheduleFiring.Outcome outcome) {
        return Counter.builder(NAME)
                .description("Slots of each schedule by outcome: fired, skipped_running (previous run still going), "
                        + "missed (due longer ago than the grace period), failed (run could not be queued)")
                .tag("schedule", schedule)
                .tag("outcome", outcome.label())
                .register(registry);
    }
}
