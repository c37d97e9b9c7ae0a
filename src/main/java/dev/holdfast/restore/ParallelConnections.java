package dev.holdfast.restore;

import dev.holdfast.pg.PgConnectionInfo;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one piece of work on several threads, each with its own connection; the first failure stops the others
 * (through the restore's {@link Cancellation}) at their next step and is the one rethrown.
 */
final class ParallelConnections {

    /** Work for one of several connections of a staged restore. */
    interface ConnectionWork {
        void run(Connection c) throws SQLException, IOException;
    }

    private final RestoreContext ctx;

    ParallelConnections(RestoreContext ctx) {
        this.ctx = ctx;
    }

    /** Runs {@code work} on {@code n} threads named {@code threadName}, each connected to {@code db}. */
    void run(PgConnectionInfo db, int n, String threadName, ConnectionWork work) throws SQLException, IOException {
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    try (Connection c = db.open(ctx.connections())) {
                        work.run(c);
                    } catch (Exception | Error e) {
                        ctx.cancellation().stopAll();
                        throw e;
                    }
                    return null;
                }));
            }
            rethrowFirst(futures);
        } catch (InterruptedException e) {
            ctx.cancellation().stopAll();
            Thread.currentThread().interrupt();
            throw new RestoreException(
                    "Interrupted while restoring " + ctx.section().source(), e);
        } finally {
            pool.shutdownNow();
        }
    }

    private void rethrowFirst(List<Future<?>> futures) throws SQLException, IOException, InterruptedException {
        Throwable first = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                // The failure that started it, not a connection that merely stopped because of it.
                if (first == null
                        || (first instanceof Cancellation.Stopped && !(e.getCause() instanceof Cancellation.Stopped))) {
                    first = e.getCause();
                }
            }
        }
        if (first instanceof SQLException e) {
            throw e;
        }
        if (first instanceof IOException e) {
            throw e;
        }
        if (first instanceof RuntimeException e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new RestoreException("Restore of " + ctx.section().source() + " failed: " + first, first);
        }
    }
}
