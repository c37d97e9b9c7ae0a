package dev.holdfast.media;

import dev.holdfast.media.MediaItem.Kind;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Swaps a {@link MediaRestore}'s verified staging directory into its target with renames only, all or nothing:
 * a replace renames the whole tree (carrying the kept paths over), a merge renames each restored path into place
 * with a journal that undoes every move if one fails.
 */
final class MediaSwap {
    private final Path target;
    private final boolean fsync;
    private final boolean keepPrevious;
    private final Runnable checkpoint;

    MediaSwap(Path target, boolean fsync, boolean keepPrevious, Runnable checkpoint) {
        this.target = target;
        this.fsync = fsync;
        this.keepPrevious = keepPrevious;
        this.checkpoint = checkpoint;
    }

    /** Replaces the target by {@code staging}; returns where the previous tree was kept, or null. */
    Path replace(
            TreeMap<String, MediaItem> items,
            Path staging,
            Path previous,
            List<String> kept,
            TreeMap<String, FileStat> keptParents,
            List<String> warnings)
            throws IOException {
        checkpoint.run();
        boolean existed = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (existed) {
            Files.move(target, previous, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            if (existed) {
                Files.move(previous, target, StandardCopyOption.ATOMIC_MOVE);
            }
            throw new MediaRestoreException(
                    "swapping the restored tree into " + target + " failed; the target was " + "put back: "
                            + e.getMessage(),
                    e);
        }
        if (existed) {
            carryKept(items, staging, previous, kept, keptParents);
        }
        if (fsync) {
            syncDir(target.getParent());
        }
        if (!existed) {
            return null;
        }
        return dropPrevious(previous, "the previous tree " + previous, warnings);
    }

    /** Removes {@code previous} unless it is to be kept; returns it when kept or when it could not be removed. */
    private Path dropPrevious(Path previous, String what, List<String> warnings) {
        if (keepPrevious) {
            return previous;
        }
        try {
            deleteTree(previous);
            return null;
        } catch (IOException e) {
            warnings.add(what + " could not be removed: " + e.getMessage());
            return previous;
        }
    }

    /**
     * Moves the kept paths from the replaced tree into the restored one, each with one rename, so that what the
     * backups exclude stays where it was; if one cannot be moved, everything is put back as it was before the swap.
     */
    private void carryKept(
            TreeMap<String, MediaItem> items,
            Path staging,
            Path previous,
            List<String> kept,
            TreeMap<String, FileStat> keptParents)
            throws IOException {
        List<String> carried = new ArrayList<>();
        try {
            // No checkpoint here: once the swap happened, the kept paths must follow it, cancelled or not.
            for (String k : kept) {
                renameKeepingModes(previous.resolve(k), target.resolve(k));
                carried.add(k);
            }
        } catch (IOException | RuntimeException e) {
            for (int i = carried.size() - 1; i >= 0; i--) {
                renameKeepingModes(target.resolve(carried.get(i)), previous.resolve(carried.get(i)));
            }
            Files.move(target, staging, StandardCopyOption.ATOMIC_MOVE);
            Files.move(previous, target, StandardCopyOption.ATOMIC_MOVE);
            throw new MediaRestoreException(
                    "moving the excluded path '" + (carried.size() < kept.size() ? kept.get(carried.size()) : "?")
                            + "' into the restored tree failed; the target was put back: "
                            + e.getMessage(),
                    e);
        }
        // The renames moved their directories' mtimes: give them back the restored (or kept) ones.
        Set<String> parents = new HashSet<>();
        for (String k : kept) {
            String p = MediaPaths.parent(k);
            parents.add(p == null ? "." : p);
        }
        for (String p : parents) {
            Path dir = p.equals(".") ? target : target.resolve(p);
            MediaItem i = items.get(p);
            if (i != null && i.dir() != null) {
                MediaPaths.setMtime(dir, i.dir().mtime());
            } else if (keptParents.containsKey(p)) {
                MediaPaths.setMtime(dir, keptParents.get(p).mtime());
            }
            if (fsync) {
                syncDir(dir);
            }
        }
    }

    /** Renames with write permission on the directories it needs, which read-only modes from an archive lack. */
    private static void renameKeepingModes(Path from, Path to) throws IOException {
        List<Path> dirs = new ArrayList<>(List.of(from.getParent(), to.getParent()));
        if (Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS)) {
            dirs.add(from); // renaming a directory to another parent rewrites its '..' entry
        }
        Map<Path, Integer> modes = new HashMap<>();
        boolean moved = false;
        try {
            for (Path d : dirs) {
                int m = FileStat.of(d).mode() & 07777;
                if ((m & 0200) == 0 && !modes.containsKey(d)) {
                    modes.put(d, m);
                    MediaPaths.setMode(d, m | 0200);
                }
            }
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } finally {
            for (Map.Entry<Path, Integer> e : modes.entrySet()) {
                Path now = moved && e.getKey().equals(from) ? to : e.getKey();
                MediaPaths.setMode(now, e.getValue());
            }
        }
    }

    private record Move(String path, boolean createdDir, boolean backedUp) {}

    /**
     * Renames each staged path into the target, an existing one being moved to {@code previous} first; returns
     * where the overwritten files were kept, or null. Undone, as far as possible, when one move fails.
     */
    Path merge(TreeMap<String, MediaItem> items, Path staging, Path previous, List<String> warnings)
            throws IOException {
        List<Move> journal = new ArrayList<>();
        try {
            Files.createDirectories(target);
            moveIntoPlace(items, staging, previous, journal);
            for (int k = journal.size() - 1; k >= 0; k--) {
                Move m = journal.get(k);
                MediaItem i = items.get(m.path());
                if (m.createdDir() && i.dir() != null) {
                    MediaPaths.setMode(
                            target.resolve(m.path()),
                            MediaPaths.parseMode(i.dir().mode(), 0700));
                    MediaPaths.setMtime(target.resolve(m.path()), i.dir().mtime());
                }
            }
        } catch (IOException | RuntimeException e) {
            List<String> left = rollback(journal, previous);
            throw new MediaRestoreException(
                    "merging into " + target + " failed and was undone"
                            + (left.isEmpty() ? "" : " except for " + left + " (originals are in " + previous + ")")
                            + ": "
                            + e.getMessage(),
                    e);
        }
        if (journal.stream().noneMatch(Move::backedUp)) {
            return null;
        }
        return dropPrevious(previous, "the overwritten files in " + previous, warnings);
    }

    /** The merge's moves, each journaled before it is made. */
    private void moveIntoPlace(TreeMap<String, MediaItem> items, Path staging, Path previous, List<Move> journal)
            throws IOException {
        for (MediaItem i : items.values()) {
            checkpoint.run();
            if (i.path().equals(".")) {
                continue;
            }
            Path dst = target.resolve(i.path());
            if (i.kind() == Kind.DIR) {
                if (!Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(dst);
                    journal.add(new Move(i.path(), true, false));
                }
                continue;
            }
            // Re-checked at the last moment: the tree is live and may have changed since validation.
            if (MediaChecks.blockedAncestor(target, i.path(), new HashMap<>()) != null
                    || Files.isDirectory(dst, LinkOption.NOFOLLOW_LINKS)) {
                throw new MediaRestoreException("the target changed during the restore at '" + i.path() + "'");
            }
            boolean backedUp = false;
            if (Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) {
                Path bak = previous.resolve(i.path());
                Files.createDirectories(bak.getParent());
                Files.move(dst, bak, StandardCopyOption.ATOMIC_MOVE);
                backedUp = true;
            }
            journal.add(new Move(i.path(), false, backedUp));
            Files.move(staging.resolve(i.path()), dst, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Undoes a merge's moves newest first; returns the paths it could not put back. */
    private List<String> rollback(List<Move> journal, Path previous) {
        List<String> left = new ArrayList<>();
        for (int k = journal.size() - 1; k >= 0; k--) {
            Move m = journal.get(k);
            Path dst = target.resolve(m.path());
            try {
                if (m.createdDir()) {
                    Files.deleteIfExists(dst);
                    continue;
                }
                Files.deleteIfExists(dst);
                if (m.backedUp()) {
                    Files.move(previous.resolve(m.path()), dst, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException | RuntimeException e) {
                left.add(m.path());
            }
        }
        if (left.isEmpty()) {
            try {
                deleteTree(previous);
            } catch (IOException e) {
                // Only empty directories can be left here once every original is back in place.
            }
        }
        return left;
    }

    static void syncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Deletes a tree without following links, making read-only directories writable on the way. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                MediaPaths.setMode(dir, 0700);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
