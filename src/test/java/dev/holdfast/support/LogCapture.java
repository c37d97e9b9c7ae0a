package dev.holdfast.support;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what the service logs (all loggers, from a level up) while it is open, through a handler on the
 * root logger of the JBoss LogManager the application in a {@code @QuarkusTest} shares with the test.
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Level from;

    private LogCapture(Level from) {
        this.from = from;
        setLevel(Level.ALL);
    }

    /** Starts capturing records at {@code from} and above (ERROR is {@link Level#SEVERE}). */
    public static LogCapture from(Level from) {
        LogCapture c = new LogCapture(from);
        Logger.getLogger("").addHandler(c);
        return c;
    }

    @Override
    public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= from.intValue()) {
            records.add(r);
        }
    }

    /** The captured records, as "LEVEL logger: message" lines. */
    public List<String> lines() {
        return records.stream()
                .map(r -> r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage()
                        + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")"))
                .toList();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
