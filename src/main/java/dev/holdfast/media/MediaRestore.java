package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ReferencedArchives;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.ToLongFunction;

/**
 * Restores one media section of an archive into a directory through a verified staging directory on the
 * same filesystem, swapped in with renames only once every file has been extracted and checked.
 *
 * <p>{@link Mode#REPLACE}: the staging directory is the complete new tree; the target is renamed to
 * {@code <target>.holdfast-previous-<id>} and the staging directory to the target, and the previous tree is
 * removed only after both renames succeeded (or kept for rollback). {@link Mode#MERGE}: only the restored
 * files and links are staged; after all are verified each one is renamed into place, an existing file being
 * moved to {@code <target>.holdfast-previous-<id>/<path>} first, with a journal that undoes every move if
 * one fails. Each file is replaced atomically; the merge as a whole is all or nothing unless the process
 * dies mid-way, in which case the previous directory holds what was overwritten.
 *
 * <p>This class holds the settings and the order of the steps; each step is a class of its own in this
 * package, all sharing the one selection ({@link MediaItem}s by path) and the one staging tree:
 * {@link MediaSelection} (what is restored), {@link MediaChecks} (refuses unsafe paths and links before
 * anything is written), {@link MediaPlanner} (what changes, and free space), {@link MediaStaging} (extraction
 * with verification) and {@link MediaSwap} (the all-or-nothing renames).
 */
public final class MediaRestore {
    /** How the restored tree meets what is already in the target. */
    public enum Mode {
        /** The restored tree replaces the target: anything not restored is removed. */
        REPLACE,
        /** Restored files and links overwrite; everything else in the target stays. */
        MERGE
    }

    private final ArchiveReader reader;
    private final String source;
    private final Path target;
    private Mode mode = Mode.REPLACE;
    private List<String> prefixes = List.of();
    private List<String> globs = List.of();
    private boolean keepPrevious;
    private boolean allowExternalLinks;
    private boolean fsync = true;
    private MediaContent content;
    private ReferencedArchives references = ReferencedArchives.none();
    private final List<MediaSelection.Filter> keep = new ArrayList<>();
    private MediaProgress.Listener progress = p -> {};
    private Runnable checkpoint = () -> {};
    // Test hook: free bytes of the target's filesystem.
    private ToLongFunction<Path> usableSpace = MediaPlanner::usable;
    // Test hook: makes the staged tree durable before the swap.
    private MediaDurability.Sync durability = MediaDurability::sync;
    // Test hook: flushes a large staged file early (MediaDurability.Writeback).
    private MediaDurability.Flush earlyFlush = (file, channel) -> channel.force(false);

    private MediaRestore(ArchiveReader reader, String source, Path target) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.source = Objects.requireNonNull(source, "source");
        this.target = Objects.requireNonNull(target, "target").toAbsolutePath().normalize();
        this.content = MediaContent.of(reader);
    }

    /** A restore of media source {@code source} from {@code reader} into {@code target} (any directory). */
    public static MediaRestore of(ArchiveReader reader, String source, Path target) {
        return new MediaRestore(reader, source, target);
    }

    /** {@link Mode#REPLACE} (default) or {@link Mode#MERGE}. */
    public MediaRestore mode(Mode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        return this;
    }

    /** Restores only paths equal to or below one of these relative prefixes (whole segments). */
    public MediaRestore selectPrefixes(List<String> pathPrefixes) {
        this.prefixes = pathPrefixes.stream()
                .map(p -> p.endsWith("/") ? p.substring(0, p.length() - 1) : p)
                .toList();
        return this;
    }

    /** Restores only paths matching one of these globs ({@code glob:} syntax on the relative path). */
    public MediaRestore selectGlobs(List<String> patterns) {
        this.globs = List.copyOf(patterns);
        return this;
    }

    /**
     * Puts the paths that a media root's backup filters leave out ({@code include} globs: files and links
     * that match none; {@code exclude} globs: matching paths with everything below them, as
     * {@link MediaBackup} applies them) out of this restore's reach: they are never removed, never
     * overwritten, and survive a {@link Mode#REPLACE} restore where they are. Each call adds one set of filters.
     */
    public MediaRestore keepExcluded(List<String> include, List<String> exclude) {
        keep.add(new MediaSelection.Filter(
                MediaPaths.globs(target.getFileSystem(), include), MediaPaths.globs(target.getFileSystem(), exclude)));
        return this;
    }

    /** Keeps the replaced tree (or overwritten files) in {@code <target>.holdfast-previous-<id>} for rollback. */
    public MediaRestore keepPrevious(boolean keep) {
        this.keepPrevious = keep;
        return this;
    }

    /**
     * Allows symbolic links whose target resolves outside the restore target (refused by default, since a
     * hostile archive could use them to point the application elsewhere). Paths through links are refused
     * regardless: the restore never writes through a link.
     */
    public MediaRestore allowSymlinksOutsideTarget(boolean allow) {
        this.allowExternalLinks = allow;
        return this;
    }

    /**
     * Whether the staged tree is made durable before the swap and the target's directory after it (default
     * true); one {@code syncfs} of the staging filesystem, not an fsync per file ({@link MediaDurability}).
     */
    public MediaRestore fsync(boolean fsync) {
        this.fsync = fsync;
        return this;
    }

    /**
     * Where each restored file's bytes come from (default: its entry in this restore's archive,
     * {@link MediaContent#of}); the selection, checks and plan still come from this archive's manifest.
     */
    public MediaRestore content(MediaContent content) {
        this.content = Objects.requireNonNull(content, "content");
        return this;
    }

    /**
     * Where the archives of other backups come from when this archive is incremental: files with {@code stored_in}
     * are checked against and read from that backup's archive (default: none, such files are refused before anything
     * is written). Sets the {@link #content} to read from them.
     */
    public MediaRestore references(ReferencedArchives archives) {
        this.references = Objects.requireNonNull(archives, "archives");
        this.content = MediaContent.of(reader, archives);
        return this;
    }

    /** Receives progress after every file and every few MiB of a large one. */
    public MediaRestore progress(MediaProgress.Listener listener) {
        this.progress = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** Called between files and buffers; throwing from it cancels the restore, leaving the target as it was. */
    public MediaRestore checkpoint(Runnable checkpoint) {
        this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
        return this;
    }

    MediaRestore durability(MediaDurability.Sync sync) {
        this.durability = sync;
        return this;
    }

    MediaRestore earlyFlush(MediaDurability.Flush flush) {
        this.earlyFlush = flush;
        return this;
    }

    MediaRestore usableSpace(ToLongFunction<Path> f) {
        this.usableSpace = f;
        return this;
    }

    /**
     * What a restore changes (or, for a dry run, would change) in the target, paths relative to it.
     *
     * @param added paths that do not exist in the target yet
     * @param changed paths that exist but differ in type, size, mtime (to the second), mode or link target
     * @param removed paths that a {@link Mode#REPLACE} restore removes (always empty for {@link Mode#MERGE})
     * @param files regular files restored
     * @param bytes bytes of file content restored
     * @param kept paths in the target that a {@link Mode#REPLACE} restore keeps where they are because the
     *     kept filters exclude them (the top of each such subtree; a merge leaves everything it does not restore)
     */
    public record Plan(
            List<String> added,
            List<String> changed,
            List<String> removed,
            long files,
            long bytes,
            List<String> kept) {}

    /**
     * A finished restore.
     *
     * @param plan what was added, changed and removed
     * @param previous where the replaced tree or overwritten files were kept, or null when not kept
     * @param warnings problems after the swap that did not undo it (e.g. removing the previous tree failed)
     */
    public record Result(Plan plan, Path previous, List<String> warnings) {}

    private MediaSelection selection() {
        return new MediaSelection(reader, source, target, mode, prefixes, globs, keep);
    }

    private MediaChecks checks() {
        return new MediaChecks(reader, references, source, target, mode, allowExternalLinks);
    }

    /** Validates the archive's paths and computes what would change, touching nothing. */
    public Plan dryRun() throws IOException {
        MediaSelection selection = selection();
        TreeMap<String, MediaItem> items = selection.select();
        checks().validate(items);
        return new MediaPlanner(source, target, mode, selection).plan(items);
    }

    /**
     * Validates, checks free space, extracts into staging while verifying every file's SHA-256, then swaps
     * in. Any failure before the swap removes the staging directory and leaves the target untouched.
     */
    public Result run() throws IOException {
        long start = System.nanoTime();
        MediaSelection selection = selection();
        TreeMap<String, MediaItem> items = selection.select();
        checks().validate(items);
        MediaPlanner planner = new MediaPlanner(source, target, mode, selection);
        Plan plan = planner.plan(items);
        // Directories of the target that hold a kept path but are not in the restored tree: recreated in it.
        TreeMap<String, FileStat> keptParents = new TreeMap<>(MediaPaths.BYTE_ORDER);
        for (String k : plan.kept()) {
            for (String a = MediaPaths.parent(k); a != null; a = MediaPaths.parent(a)) {
                if (!items.containsKey(a)) {
                    keptParents.put(a, FileStat.of(target.resolve(a)));
                }
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        planner.checkSpace(items, parent, usableSpace);
        String id = UUID.randomUUID().toString().substring(0, 12);
        Path staging = parent.resolve(target.getFileName() + ".holdfast-staging-" + id);
        Path previous = parent.resolve(target.getFileName() + ".holdfast-previous-" + id);
        Files.createDirectory(
                staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        boolean swapped = false;
        try (MediaDurability.Writeback writeback = new MediaDurability.Writeback(fsync ? earlyFlush : null)) {
            new MediaStaging(content, mode, progress, checkpoint, start, writeback)
                    .extract(items, staging, keptParents);
            if (fsync) {
                // One sync of the whole staged tree, and only then any rename (MediaDurability says why).
                writeback.settle(checkpoint);
                checkpoint.run();
                durability.sync(staging);
            }
            List<String> warnings = new ArrayList<>();
            MediaSwap swap = new MediaSwap(target, fsync, keepPrevious, checkpoint);
            Path kept = mode == Mode.REPLACE
                    ? swap.replace(items, staging, previous, plan.kept(), keptParents, warnings)
                    : swap.merge(items, staging, previous, warnings);
            swapped = true;
            return new Result(plan, kept, List.copyOf(warnings));
        } finally {
            if (!swapped || mode == Mode.MERGE) {
                MediaSwap.deleteTree(staging);
            }
        }
    }

    /** Deletes a tree without following links, making read-only directories writable on the way. */
    public static void deleteTree(Path root) throws IOException {
        MediaSwap.deleteTree(root);
    }
}
