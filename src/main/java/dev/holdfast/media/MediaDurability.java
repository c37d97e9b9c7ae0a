package dev.holdfast.media;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Makes a staged tree durable before it is swapped in, with one {@code syncfs(2)} of its filesystem instead of
 * an {@code fsync} per file.
 *
 * <p>Why one sync is enough: nothing is renamed into the target until {@link #sync} has returned, and
 * {@code syncfs} returns only once every file, directory entry and inode of the staging tree's filesystem has
 * reached the disk (the guarantee of an {@code fsync} on each of them; since Linux 5.8 it also reports a
 * writeback error of any of them, which fails the restore before the swap). A crash before it returns leaves
 * only the staging directory, which the target never pointed at. It syncs the whole filesystem, so it costs
 * what other processes have left unwritten there too; for thousands of small files that is still far less than
 * thousands of journal commits. The JDK has no {@code syncfs}, so it is coreutils' {@code sync -f}; where that
 * program cannot be started, every file and directory of the tree is fsynced instead.
 *
 * <p>After the {@code syncfs}, every staged file is fsynced once more ({@link #confirmFiles}). {@code syncfs} reports
 * a write-back error through the filesystem's error sequence, sampled when {@code sync -f} opens the directory: if
 * another process's {@code syncfs} saw the error first, ours would return success. Each file's own error sequence
 * is still unseen by anyone else (nobody else knows the staging files), so a fresh fsync of the file reports it.
 * The data is already on disk by then, so each fsync only checks and returns: 1.07 s for 20,000 files in one thread
 * on this project's build machine (53 us each), run on two threads here; far less than writing them with an fsync
 * each, which cost 2.0 CPU-s of a 7.4 s restore of the same files (bench/README.md).
 */
final class MediaDurability {
    /** How a staged tree is made durable (a seam for tests, which check what is staged when it runs). */
    @FunctionalInterface
    interface Sync {
        void sync(Path staging) throws IOException;
    }

    /** fdatasyncs one staged file through its open channel (a seam for tests, which make it fail). */
    @FunctionalInterface
    interface Flush {
        void flush(Path file, FileChannel channel) throws IOException;
    }

    private MediaDurability() {}

    /**
     * fdatasyncs {@code file} through a channel opened for reading (the confirmation, and the fallback tree sync).
     *
     * <p>A restored file keeps the mode its archive records, which may deny its owner reading (0200, 0044, 0000):
     * a service that is not root is then refused the open. Such a file is made owner-readable for the moment of the
     * open and given its mode back as soon as the channel is open; the channel is then fsynced with the file's
     * metadata, so that the mode put back is durable too. Nobody else sees the staging tree in between.
     */
    static void fdatasync(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (AccessDeniedException denied) {
            fsyncUnreadable(file);
            return;
        }
        try (ch) {
            ch.force(false);
        }
    }

    private static void fsyncUnreadable(Path file) throws IOException {
        int mode = FileStat.of(file).mode() & 07777;
        // chmod(2) by path, following links: the no-follow form opens the file for reading first, which is what is
        // refused. The path was just seen as a regular file of a staging tree only this restore writes to.
        Files.setAttribute(file, "unix:mode", mode | 0400);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } finally {
            Files.setAttribute(file, "unix:mode", mode);
        }
        try (ch) {
            ch.force(true);
        }
    }

    /**
     * Starts the disk writing each large staged file while the restore is still decompressing the next ones,
     * instead of leaving every byte to the one {@code syncfs} at the end, which nothing overlaps (it was a third
     * of a restore of 200 files of 2-6 MB, bench/README.md). Each file of {@link #FROM_BYTES} or more is handed
     * over with its open channel once written and verified, and fdatasynced on one background thread, which then
     * closes it (no reopening, so a file whose mode forbids reading is flushed too). Smaller files are left to the
     * {@code syncfs}: an fdatasync of a new file commits the journal, which for thousands of small files costs more
     * than it overlaps. At most {@link #QUEUED} files wait, so open channels stay few when the disk is behind.
     *
     * <p>Durability is unchanged: the {@code syncfs} and the per-file confirmation still run after {@link #settle}.
     * A failed fdatasync fails the restore, because the file's error sequence is consumed by it and the later
     * confirmation would no longer see it.
     */
    static final class Writeback implements AutoCloseable {
        /** Files at least this large are flushed early: one journal commit per MiB or more is cheap beside the data. */
        static final long FROM_BYTES = 1 << 20;
        /** Files handed over and not yet flushed before {@link #written} waits. */
        static final int QUEUED = 16;

        private final Flush flush;
        private final ExecutorService thread;
        private final Semaphore room = new Semaphore(QUEUED);
        private final Set<FileChannel> handedOver = ConcurrentHashMap.newKeySet();
        private final AtomicReference<IOException> failed = new AtomicReference<>();
        private boolean closed;

        /** {@code flush}: how a file is flushed; null for none at all (a restore without {@code fsync}). */
        Writeback(Flush flush) {
            this.flush = flush;
            this.thread = flush == null
                    ? null
                    : Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "holdfast-media-writeback");
                        t.setDaemon(true);
                        return t;
                    });
        }

        /**
         * Takes {@code channel}, {@code file}'s, fully written, when the file is large enough, and closes it once
         * flushed; returns whether it took it (else the caller closes it). Waits while {@link #QUEUED} files wait.
         */
        boolean written(Path file, FileChannel channel, long size) throws IOException {
            if (thread == null || size < FROM_BYTES) {
                return false;
            }
            try {
                room.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while handing " + file + " over to be flushed");
            }
            // Under the lock close() takes, so that a channel is either refused here or closed there, never both.
            synchronized (this) {
                if (!closed) {
                    handedOver.add(channel);
                    try {
                        thread.execute(() -> flushAndClose(file, channel));
                        return true;
                    } catch (RejectedExecutionException settled) {
                        handedOver.remove(channel);
                    }
                }
            }
            room.release();
            return false;
        }

        private void flushAndClose(Path file, FileChannel channel) {
            try (channel) {
                if (failed.get() == null) {
                    flush.flush(file, channel);
                }
            } catch (IOException | RuntimeException e) {
                failed.compareAndSet(
                        null,
                        new IOException("the staged file " + file + " did not reach the disk: " + e.getMessage(), e));
            } finally {
                handedOver.remove(channel);
                room.release();
            }
        }

        /**
         * Waits for every file handed over, calling {@code checkpoint} every second (a cancel stops the wait), and
         * throws the first failure.
         */
        void settle(Runnable checkpoint) throws IOException {
            if (thread == null) {
                return;
            }
            thread.shutdown();
            try {
                while (!thread.awaitTermination(1, TimeUnit.SECONDS)) {
                    checkpoint.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while flushing the staged files");
            }
            if (failed.get() != null) {
                throw failed.get();
            }
        }

        /**
         * Stops the thread, waits for a flush under way and closes the channels never flushed, so that nothing
         * touches staging while it is removed.
         */
        @Override
        public void close() {
            if (thread == null) {
                return;
            }
            synchronized (this) {
                closed = true;
                thread.shutdownNow();
            }
            try {
                thread.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (FileChannel c : handedOver) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // a file of a failed or cancelled restore, removed with its staging directory
                }
            }
        }
    }

    /** The default: {@code sync -f <staging>}, else an fsync of every file and directory below it. */
    static void sync(Path staging) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder("sync", "-f", staging.toString())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException noSyncProgram) {
            fsyncTree(staging);
            return;
        }
        String out;
        int rc;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            rc = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing " + staging, e);
        }
        if (rc != 0) {
            throw new IOException(
                    "syncing the staged tree " + staging + " failed (sync -f exited with " + rc + "): " + out);
        }
        confirmFiles(staging);
    }

    /**
     * fsyncs every regular file below {@code root} on two threads, so that a write-back error of any of them is
     * reported here, naming the file, even when another process's {@code syncfs} consumed the filesystem-wide one.
     */
    static void confirmFiles(Path root) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
                    .toList();
        }
        AtomicReference<IOException> failed = new AtomicReference<>();
        files.parallelStream().forEach(f -> {
            if (failed.get() != null) {
                return;
            }
            try {
                fdatasync(f);
            } catch (IOException e) {
                failed.compareAndSet(
                        null,
                        new IOException("the staged file " + f + " did not reach the disk: " + e.getMessage(), e));
            }
        });
        if (failed.get() != null) {
            throw failed.get();
        }
    }

    /** fsyncs every regular file, then every directory (deepest first) of {@code root}, not following links. */
    static void fsyncTree(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.toList();
        }
        for (Path f : all) {
            if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                fdatasync(f);
            }
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            if (Files.isDirectory(all.get(i), LinkOption.NOFOLLOW_LINKS)) {
                MediaSwap.syncDir(all.get(i));
            }
        }
    }
}
