package dev.holdfast.media;

import dev.holdfast.archive.ArchiveException;
import dev.holdfast.media.MediaItem.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Writes a {@link MediaRestore}'s selected paths into its staging directory, checking every file's SHA-256 as
 * it is read from the archive, on {@link #WORKERS} threads; one instance per restore, as it counts the progress.
 */
final class MediaStaging {
    private static final int BUFFER = 256 * 1024;
    /** Files decompressed, verified and written at once: hashing is most of a small file's CPU time. */
    static final int WORKERS = 2;

    private final MediaContent content;
    private final MediaRestore.Mode mode;
    private final MediaProgress.Listener progress;
    private final Runnable checkpoint;
    private final long start;
    private final MediaDurability.Writeback writeback;
    private long filesTotal;
    private long bytesTotal;
    private long filesDone;
    private long bytesDone;
    private long reported;
    private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[BUFFER]);

    /**
     * {@code start}: {@link System#nanoTime()} when the restore began, for the progress' elapsed time;
     * {@code writeback}: told of every file written, to start the disk on the large ones.
     */
    MediaStaging(
            MediaContent content,
            MediaRestore.Mode mode,
            MediaProgress.Listener progress,
            Runnable checkpoint,
            long start,
            MediaDurability.Writeback writeback) {
        this.content = content;
        this.mode = mode;
        this.progress = progress;
        this.checkpoint = checkpoint;
        this.start = start;
        this.writeback = writeback;
    }

    /**
     * Extracts {@code items} into {@code staging}; for a replace, also the directories that hold kept paths
     * ({@code keptParents}, with the target's modes), and the directories' own modes and mtimes last.
     */
    void extract(TreeMap<String, MediaItem> items, Path staging, TreeMap<String, FileStat> keptParents)
            throws IOException {
        for (MediaItem i : items.values()) {
            if (i.kind() == Kind.FILE) {
                filesTotal++;
                bytesTotal += i.file().size();
            }
        }
        if (mode == MediaRestore.Mode.REPLACE) {
            for (MediaItem i : items.values()) {
                if (i.kind() == Kind.DIR && !i.path().equals(".")) {
                    Files.createDirectories(staging.resolve(i.path()));
                }
            }
            for (String d : keptParents.keySet()) {
                Files.createDirectories(staging.resolve(d));
            }
        }
        extractFiles(items, staging);
        // Links last: nothing is ever extracted through one, even one the checks above missed.
        for (MediaItem i : items.values()) {
            if (i.kind() == Kind.LINK) {
                Path out = staging.resolve(i.path());
                Files.createDirectories(out.getParent());
                Files.createSymbolicLink(
                        out, staging.getFileSystem().getPath(i.link().target()));
                MediaPaths.setMtime(out, i.link().mtime());
            }
        }
        if (mode == MediaRestore.Mode.REPLACE) {
            finishDirectories(items, staging, keptParents);
        }
    }

    /**
     * Writes the files: this thread opens each one's content in stored order and creates its directory, {@link
     * #WORKERS} workers decompress, verify and write them, a few files ahead at most. On any failure the workers
     * are stopped and waited for before this returns, so nothing writes into staging while it is removed.
     */
    private void extractFiles(TreeMap<String, MediaItem> items, Path staging) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS, r -> {
            Thread t = new Thread(r, "holdfast-media-restore");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Pending> inflight = new ArrayDeque<>();
        try {
            Path lastDir = null;
            // In the order the content is stored (the archive's entry order), so that reads from object storage
            // can share sequential requests (CoalescingArchiveSource); path order differs where files finished out
            // of order during the backup.
            List<MediaItem> files = new ArrayList<>();
            for (MediaItem i : items.values()) {
                if (i.kind() == Kind.FILE) {
                    files.add(i);
                }
            }
            files.sort(Comparator.comparingLong((MediaItem i) -> content.order(i.file()))
                    .thenComparingLong(i -> content.orderWithin(i.file())));
            for (MediaItem i : files) {
                checkpoint.run();
                Path out = staging.resolve(i.path());
                if (!out.getParent().equals(lastDir)) { // a directory's files mostly come together
                    Files.createDirectories(out.getParent());
                    lastDir = out.getParent();
                }
                InputStream in;
                try {
                    in = content.open(i.file());
                } catch (ArchiveException e) {
                    throw failedVerification(i, e);
                }
                Pending p = new Pending(in);
                inflight.add(p);
                p.done = pool.submit(() -> {
                    writeFile(i, out, in);
                    return null;
                });
                while (inflight.size() > 2 * WORKERS) {
                    await(inflight.poll());
                }
            }
            while (!inflight.isEmpty()) {
                await(inflight.poll());
            }
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                content.close();
            } catch (IOException | RuntimeException ignored) {
                // a pack left open after its last member was read; closing it changes nothing restored
            }
            // Streams of files no worker started (the started ones closed their own; closing twice is harmless).
            for (Pending p : inflight) {
                try {
                    p.in.close();
                } catch (IOException | RuntimeException ignored) {
                    // already failing; the first error is the one reported
                }
            }
        }
    }

    /** A file handed to a worker: its opened content, and the worker's outcome. */
    private static final class Pending {
        final InputStream in;
        Future<Void> done;

        Pending(InputStream in) {
            this.in = in;
        }
    }

    private static void await(Pending p) throws IOException {
        try {
            p.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while restoring media files");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            } else if (c instanceof RuntimeException re) {
                throw re;
            } else if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }

    private static MediaRestoreException failedVerification(MediaItem i, ArchiveException e) {
        return new MediaRestoreException(
                "media file '" + i.path() + "' failed verification, nothing was restored: " + e.getMessage(), e);
    }

    /**
     * Copies one file's content (checked as it is read), hands a large one to the {@link MediaDurability.Writeback},
     * then gives it its mtime and mode ({@link MediaPaths#setMtimeThenMode} says why in that order); runs on a worker.
     */
    private void writeFile(MediaItem i, Path out, InputStream content) throws IOException {
        byte[] buf = buffers.get();
        FileChannel ch = null;
        boolean handedOver = false;
        try (InputStream in = content) {
            ch = FileChannel.open(
                    out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            int n;
            while ((n = in.read(buf)) >= 0) {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
                checkpoint.run();
                bytesWritten(n, i.path());
            }
            handedOver = writeback.written(out, ch, i.file().size());
        } catch (ArchiveException e) {
            throw failedVerification(i, e);
        } finally {
            if (ch != null && !handedOver) {
                ch.close();
            }
        }
        MediaPaths.setMtimeThenMode(
                out, i.file().mtime(), MediaPaths.parseMode(i.file().mode(), 0600));
        fileWritten(i.path());
    }

    private synchronized void bytesWritten(long n, String path) {
        bytesDone += n;
        if (bytesDone - reported >= (8 << 20)) {
            reported = bytesDone;
            report(path);
        }
    }

    private synchronized void fileWritten(String path) {
        filesDone++;
        report(path);
    }

    /** Gives the staged directories their modes and mtimes, deepest first ({@link MediaDurability} syncs them). */
    private void finishDirectories(
            TreeMap<String, MediaItem> items, Path staging, TreeMap<String, FileStat> keptParents) throws IOException {
        // Deepest first: creating children moves a directory's mtime, and a read-only one refuses them.
        for (Map.Entry<String, FileStat> d : keptParents.descendingMap().entrySet()) {
            MediaPaths.setMode(staging.resolve(d.getKey()), d.getValue().mode() & 01777);
        }
        for (MediaItem i : items.descendingMap().values()) {
            if (i.kind() == Kind.DIR && i.dir() != null) {
                Path d = i.path().equals(".") ? staging : staging.resolve(i.path());
                MediaPaths.setMode(d, MediaPaths.parseMode(i.dir().mode(), 0700));
                MediaPaths.setMtime(d, i.dir().mtime());
            }
        }
    }

    private synchronized void report(String current) {
        progress.onProgress(new MediaProgress(
                filesDone, filesTotal, bytesDone, bytesTotal, current, Duration.ofNanos(System.nanoTime() - start)));
    }
}
