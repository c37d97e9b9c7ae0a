package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Shows a followed job's progress on stderr: a redrawn bar on a terminal; one plain line every few seconds (and at
 * each change of state) when stderr is a pipe or a log, as in Kubernetes, where a bar's carriage returns would be
 * noise; nothing with {@code --progress none}.
 */
final class ProgressView {
    /** The {@code --progress} choices; {@code auto} is a bar on a terminal and plain lines otherwise. */
    enum Mode {
        auto,
        bar,
        plain,
        none
    }

    private static final int BAR_WIDTH = 24;

    private final Mode mode;
    private final PrintStream err;
    private final Clock clock;
    private final Duration interval;
    private final int columns;

    private JsonNode last;
    private String lastState;
    private Instant lastPrinted = Instant.MIN;
    private boolean drawn;

    ProgressView(Mode mode, PrintStream err, Clock clock, Duration interval, int columns) {
        this.mode = mode;
        this.err = err;
        this.clock = clock;
        this.interval = interval;
        this.columns = columns;
    }

    /** {@code auto} resolved: a bar when the process has a terminal. */
    static Mode resolve(Mode requested, boolean terminal) {
        if (requested != Mode.auto) {
            return requested;
        }
        return terminal ? Mode.bar : Mode.plain;
    }

    /** A job, or a job event, arrived. */
    void update(JsonNode jobOrEvent) {
        last = jobOrEvent;
        String state = jobOrEvent.path("state").asText("");
        boolean changed = !state.equals(lastState);
        lastState = state;
        if (mode == Mode.bar) {
            draw();
        } else if (mode == Mode.plain && (changed || due())) {
            plain();
        }
    }

    /** Time passed without an event: plain mode still says where the job stands, every interval. */
    void tick() {
        if (mode == Mode.plain && last != null && due()) {
            plain();
        }
    }

    /** The job ended (or the wait did): end the bar's line. */
    void done() {
        if (mode == Mode.bar && drawn) {
            err.println();
            drawn = false;
        }
    }

    private boolean due() {
        return !clock.instant().isBefore(lastPrinted.plus(interval));
    }

    private void plain() {
        lastPrinted = clock.instant();
        err.println("progress: " + describe(last));
        err.flush();
    }

    private void draw() {
        JsonNode p = last.path("progress");
        double pct = p.path("percent").asDouble(0);
        int filled = (int) Math.round(BAR_WIDTH * Math.min(100, Math.max(0, pct)) / 100.0);
        String line = "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "] " + describe(last);
        if (line.length() > columns - 1) {
            line = line.substring(0, Math.max(10, columns - 2)) + "…";
        }
        err.print("\r\033[2K" + line);
        err.flush();
        drawn = true;
    }

    /** 950, 12.3k, 4.5M: row counts for people. */
    static String count(long n) {
        if (n < 10_000) {
            return Long.toString(n);
        }
        if (n < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fk", n / 1000.0);
        }
        return String.format(Locale.ROOT, "%.1fM", n / 1_000_000.0);
    }

    /** {@code RUNNING copy 45.0% 12.3 MiB/27.0 MiB rows 1.2M/3.0M items 3/8 ETA 42s public.orders}. */
    static String describe(JsonNode jobOrEvent) {
        JsonNode p = jobOrEvent.path("progress");
        StringBuilder b = new StringBuilder(jobOrEvent.path("state").asText("?"));
        if (p.hasNonNull("phase")) {
            b.append(' ').append(p.get("phase").asText());
        }
        if (p.hasNonNull("percent")) {
            b.append(' ')
                    .append(String.format(
                            Locale.ROOT, "%.1f%%", p.get("percent").asDouble()));
        }
        if (p.hasNonNull("bytes_done")) {
            b.append(' ').append(Output.bytes(p.get("bytes_done").asLong()));
            if (p.hasNonNull("bytes_total")) {
                b.append('/').append(Output.bytes(p.get("bytes_total").asLong()));
            }
        }
        if (p.hasNonNull("rows_done")) {
            b.append(" rows ").append(count(p.get("rows_done").asLong()));
            if (p.hasNonNull("rows_total")) {
                b.append('/').append(count(p.get("rows_total").asLong()));
            }
        }
        if (p.hasNonNull("items_done")) {
            b.append(" items ").append(p.get("items_done").asLong());
            if (p.hasNonNull("items_total")) {
                b.append('/').append(p.get("items_total").asLong());
            }
        }
        if (p.hasNonNull("eta_seconds")
                && !"SUCCEEDED".equals(jobOrEvent.path("state").asText())) {
            b.append(" ETA ")
                    .append(Durations.text(
                            Duration.ofSeconds(p.get("eta_seconds").asLong())));
        }
        if (p.hasNonNull("current_item")) {
            b.append(' ').append(p.get("current_item").asText());
        }
        return b.toString();
    }
}
