package dev.holdfast.media;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
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

    private MediaDurability() {}

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
        java.util.concurrent.atomic.AtomicReference<IOException> failed =
                new java.util.concurrent.atomic.AtomicReference<>();
        files.parallelStream().forEach(f -> {
            if (failed.get() != null) {
                return;
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                ch.force(false);
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
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    ch.force(false);
                }
            }
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            if (Files.isDirectory(all.get(i), LinkOption.NOFOLLOW_LINKS)) {
                MediaSwap.syncDir(all.get(i));
            }
        }
    }
}
