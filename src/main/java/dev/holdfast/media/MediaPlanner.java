package dev.holdfast.media;

import dev.holdfast.media.MediaItem.Kind;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * What a {@link MediaRestore} changes in its target ({@link MediaRestore.Plan}), and whether the target's
 * filesystem has room for it; reads the target, writes nothing.
 */
final class MediaPlanner {
    private final String source;
    private final Path target;
    private final MediaRestore.Mode mode;
    private final MediaSelection selection;

    MediaPlanner(String source, Path target, MediaRestore.Mode mode, MediaSelection selection) {
        this.source = source;
        this.target = target;
        this.mode = mode;
        this.selection = selection;
    }

    /** Computes what restoring {@code items} adds, changes, removes and keeps. */
    MediaRestore.Plan plan(TreeMap<String, MediaItem> items) throws IOException {
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        long files = 0;
        long bytes = 0;
        boolean exists = Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS);
        Map<String, Boolean> cache = new HashMap<>();
        for (MediaItem item : items.values()) {
            if (item.kind() == Kind.FILE) {
                files++;
                bytes += item.file().size();
            }
            if (item.path().equals(".")) {
                continue;
            }
            Path p = target.resolve(item.path());
            if (!exists
                    || MediaChecks.blockedAncestor(target, item.path(), cache) != null
                    || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                added.add(item.path());
            } else if (differs(item, p)) {
                changed.add(item.path());
            }
        }
        List<String> kept = new ArrayList<>();
        if (exists && mode == MediaRestore.Mode.REPLACE) {
            walkTarget(items, removed, kept);
        }
        Set<String> holders = keptHolders(items, kept);
        removed.removeIf(holders::contains);
        removed.sort(MediaPaths.BYTE_ORDER);
        kept.sort(MediaPaths.BYTE_ORDER);
        return new MediaRestore.Plan(
                List.copyOf(added), List.copyOf(changed), List.copyOf(removed), files, bytes, List.copyOf(kept));
    }

    /** Notes what a replace removes from the target, and the kept paths (tops of excluded subtrees). */
    private void walkTarget(TreeMap<String, MediaItem> items, List<String> removed, List<String> kept)
            throws IOException {
        Files.walkFileTree(target, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String rel = target.relativize(dir).toString();
                if (!rel.isEmpty() && selection.excluded(rel, true)) {
                    kept.add(rel);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                note(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (selection.excluded(target.relativize(file).toString(), attrs.isDirectory())) {
                    kept.add(target.relativize(file).toString());
                } else {
                    note(file);
                }
                return FileVisitResult.CONTINUE;
            }

            private void note(Path p) {
                String rel = target.relativize(p).toString();
                if (!rel.isEmpty() && !items.containsKey(rel)) {
                    removed.add(rel);
                }
            }
        });
    }

    /**
     * The directories that hold a kept path, which therefore stay; refuses the restore when the restored tree has
     * no room for a kept path (a file or link of the backup where the target keeps one).
     */
    private static Set<String> keptHolders(TreeMap<String, MediaItem> items, List<String> kept)
            throws MediaRestoreException {
        Set<String> holders = new HashSet<>();
        for (String k : kept) {
            MediaItem at = items.get(k);
            if (at != null) {
                throw new MediaRestoreException(
                        "the backup has a " + at.kind().name().toLowerCase() + " at '" + k
                                + "', which the target keeps as a path its backups exclude; nothing was restored");
            }
            for (String a = MediaPaths.parent(k); a != null; a = MediaPaths.parent(a)) {
                holders.add(a);
                MediaItem i = items.get(a);
                if (i != null && i.kind() != Kind.DIR) {
                    throw new MediaRestoreException(
                            "the backup has a " + i.kind().name().toLowerCase() + " at '" + a
                                    + "', where the target keeps '" + k + "', a path its backups exclude; nothing was "
                                    + "restored");
                }
            }
        }
        return holders;
    }

    private boolean differs(MediaItem item, Path p) throws IOException {
        FileStat a = FileStat.of(p);
        int type = a.type();
        int perms = a.mode() & 01777;
        return switch (item.kind()) {
            case FILE ->
                type != 0100000
                        || a.size() != item.file().size()
                        || perms != MediaPaths.parseMode(item.file().mode(), perms)
                        || a.mtime().getEpochSecond() != item.file().mtime().getEpochSecond();
            case LINK ->
                type != 0120000
                        || !Files.readSymbolicLink(p)
                                .toString()
                                .equals(item.link().target());
            // Merging leaves existing directories as they are, so only a replace changes their mode.
            case DIR ->
                type != 0040000
                        || (mode == MediaRestore.Mode.REPLACE
                                && item.dir() != null
                                && perms != MediaPaths.parseMode(item.dir().mode(), perms));
        };
    }

    /** Refuses the restore when the target's filesystem lacks room for it (staging needs it all at once). */
    void checkSpace(TreeMap<String, MediaItem> items, Path parent, ToLongFunction<Path> usableSpace)
            throws IOException {
        long needed = 0;
        for (MediaItem item : items.values()) {
            // Whole blocks per file plus one block per directory or link: close to what the filesystem charges.
            needed += item.kind() == Kind.FILE ? (item.file().size() + 4095) / 4096 * 4096 + 4096 : 4096;
        }
        long usable = usableSpace.applyAsLong(parent);
        if (needed > usable) {
            throw new MediaRestoreException("not enough free space to restore media source '" + source + "' into "
                    + target + ": needs about " + needed + " bytes, " + usable + " usable on that filesystem");
        }
    }

    /** Free bytes of the filesystem of {@code p}. */
    static long usable(Path p) {
        try {
            FileStore store = Files.getFileStore(p);
            return store.getUsableSpace();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
