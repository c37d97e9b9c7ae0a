package dev.holdfast.media;

import dev.holdfast.media.MediaItem.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a {@link MediaRestore}'s selected paths into its staging directory, checking every file's SHA-256 as
 * it is read from the archive; one instance per restore, as it counts the progress.
 */
final class MediaStaging {
    private static final int BUFFER = 256 * 1024;

    private final MediaContent content;
    private final MediaRestore.Mode mode;
    private final MediaProgress.Listener progress;
    private final Runnable checkpoint;
    private final long start;
    private long filesTotal;
    private long bytesTotal;
    private long filesDone;
    private long bytesDone;
    private long reported;

    /** {@code start}: {@link System#nanoTime()} when the restore began, for the progress' elapsed time. */
    MediaStaging(
            MediaContent content,
            MediaRestore.Mode mode,
            MediaProgress.Listener progress,
            Runnable checkpoint,
            long start) {
        this.content = content;
        this.mode = mode;
        this.progress = progress;
        this.checkpoint = checkpoint;
        this.start = start;
    }

    /**
     * Extracts {@code items} into {@code staging}; for a replace, also the directories that hold kept paths
     * ({@code keptParents}, with the target's modes), and the directories' own modes and mtimes last.
     */
    void extract(TreeMap<String, MediaItem> items, Path staging, TreeMap<String, Map<String, Object>> keptParents)
            throws IOException {
        for (MediaItem i : items.values()) {
            if (i.kind() == Kind.FILE) {
                filesTotal++;
                bytesTotal += i.file().size();
            }
        }
        byte[] buf = new byte[BUFFER];
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
        for (MediaItem i : items.values()) {
            if (i.kind() != Kind.FILE) {
                continue;
            }
            checkpoint.run();
            writeFile(i, staging.resolve(i.path()), buf);
        }
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

    /** Copies one file out of the archive (its entry's checksum is checked as it is read), then its mode and mtime. */
    private void writeFile(MediaItem i, Path out, byte[] buf) throws IOException {
        Files.createDirectories(out.getParent());
        try (InputStream in = content.open(i.file());
                FileChannel ch = FileChannel.open(
                        out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
                bytesDone += n;
                checkpoint.run();
                if (bytesDone - reported >= (8 << 20)) {
                    reported = bytesDone;
                    report(i.path());
                }
            }
        } catch (dev.holdfast.archive.ArchiveException e) {
            throw new MediaRestoreException(
                    "media file '" + i.path() + "' failed verification, nothing was " + "restored: " + e.getMessage(),
                    e);
        }
        MediaPaths.setMode(out, MediaPaths.parseMode(i.file().mode(), 0600));
        MediaPaths.setMtime(out, i.file().mtime());
        filesDone++;
        report(i.path());
    }

    /** Gives the staged directories their modes and mtimes, deepest first ({@link MediaDurability} syncs them). */
    private void finishDirectories(
            TreeMap<String, MediaItem> items, Path staging, TreeMap<String, Map<String, Object>> keptParents)
            throws IOException {
        // Deepest first: creating children moves a directory's mtime, and a read-only one refuses them.
        for (Map.Entry<String, Map<String, Object>> d :
                keptParents.descendingMap().entrySet()) {
            MediaPaths.setMode(
                    staging.resolve(d.getKey()), (Integer) d.getValue().get("mode") & 01777);
        }
        for (MediaItem i : items.descendingMap().values()) {
            if (i.kind() == Kind.DIR && i.dir() != null) {
                Path d = i.path().equals(".") ? staging : staging.resolve(i.path());
                MediaPaths.setMode(d, MediaPaths.parseMode(i.dir().mode(), 0700));
                MediaPaths.setMtime(d, i.dir().mtime());
            }
        }
    }

    private void report(String current) {
        progress.onProgress(new MediaProgress(
                filesDone, filesTotal, bytesDone, bytesTotal, current, Duration.ofNanos(System.nanoTime() - start)));
    }
}
