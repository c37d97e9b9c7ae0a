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
