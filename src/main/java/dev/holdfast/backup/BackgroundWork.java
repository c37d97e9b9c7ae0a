package dev.holdfast.backup;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Blocking work of a {@link BackupRun} on a thread of its own, while the run goes on: an fsync waits on the disk, a
 * hash or an encoding wants the other core.
 */
final class BackgroundWork {
    private BackgroundWork() {}

    /** Starts {@code work} on a new daemon thread named {@code name}. */
    static CompletableFuture<Object> start(String name, Callable<Object> work) {
        CompletableFuture<Object> done = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    try {
                        done.complete(work.call());
                    } catch (Throwable e) {
                        done.completeExceptionally(e);
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
        return done;
    }

    /** The work's result; its IOException as is, anything else as an IOException saying what {@code what} was. */
    static Object await(CompletableFuture<Object> work, String what) throws IOException {
        try {
            return work.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted: " + what);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(what + " failed: " + e.getCause(), e.getCause());
        }
    }
}
