package dev.holdfast.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Follows a job over its Server-Sent Events stream ({@code GET /api/jobs/{id}/events}: {@code state}, then
 * {@code progress} events, then {@code end}) until it ends or the deadline passes, reconnecting when the stream
 * drops (the service answers a late subscriber with {@code state} and {@code end} at once), and shows progress.
 */
final class JobFollower {
    private final ApiClient api;
    private final ProgressView view;
    private final Clock clock;

    JobFollower(ApiClient api, ProgressView view, Clock clock) {
        this.api = api;
        this.view = view;
        this.clock = clock;
    }

    /**
     * The job as it ended.
     *
     * @throws CliException {@link ExitCodes#WAIT_TIMEOUT} when {@code timeout} passes first (the job goes on)
     */
    JsonNode follow(String jobId, Duration timeout) {
        Instant deadline = clock.instant().plus(timeout);
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        int reconnects = 0;
        while (true) {
            Thread reader = startReader(jobId, events);
            try {
                while (true) {
                    long left = Duration.between(clock.instant(), deadline).toMillis();
                    if (left <= 0) {
                        view.done();
                        throw new CliException(
                                ExitCodes.WAIT_TIMEOUT,
                                "timed out after " + Durations.text(timeout) + " waiting for job " + jobId
                                        + "; it is still running (follow it with: holdfast jobs watch " + jobId + ")");
                    }
                    Object e = events.poll(Math.min(left, 1000), TimeUnit.MILLISECONDS);
                    view.tick();
                    if (e == null) {
                        continue;
                    }
                    if (e instanceof CliException ce) {
                        throw ce;
                    }
                    if (e == EndOfStream.INSTANCE) {
                        break; // dropped before `end`: reconnect below
                    }
                    Event ev = (Event) e;
                    JsonNode data = api.json().readTree(ev.data());
                    if ("end".equals(ev.name())) {
                        view.update(data);
                        view.done();
                        return data;
                    }
                    view.update(data);
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.UNAVAILABLE, "interrupted while waiting for job " + jobId);
            } catch (IOException io) {
                throw new CliException(ExitCodes.UNAVAILABLE, "unreadable event from the service: " + io.getMessage());
            } finally {
                reader.interrupt();
            }
            if (++reconnects > 20) {
                throw new CliException(ExitCodes.UNAVAILABLE, "the event stream of job " + jobId + " keeps dropping");
            }
            sleepQuietly(Math.min(5000, 500L * reconnects));
        }
    }

    private Thread startReader(String jobId, BlockingQueue<Object> events) {
        Thread t = new Thread(() -> read(jobId, events), "holdfast-events");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void read(String jobId, BlockingQueue<Object> events) {
        try (Stream<String> lines = api.lines("api/jobs/" + jobId + "/events", Map.of("Accept", "text/event-stream"))) {
            String name = "message";
            StringBuilder data = new StringBuilder();
            for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                String line = it.next();
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        events.add(new Event(name, data.toString()));
                    }
                    name = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).stripLeading());
                }
            }
        } catch (CliException e) {
            if (e.exitCode() == ExitCodes.UNAVAILABLE) {
                events.add(EndOfStream.INSTANCE);
            } else {
                events.add(e);
            }
            return;
        } catch (UncheckedIOException | IllegalStateException e) {
            // the connection dropped mid-stream
        }
        events.add(EndOfStream.INSTANCE);
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One server-sent event. */
    private record Event(String name, String data) {}

    /** The stream closed (or could not open) before the job's {@code end} event. */
    private enum EndOfStream {
        INSTANCE
    }
}
