package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest.MediaDirectory;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.Manifest.MediaSymlink;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * <p>Why one class of about 1,000 lines: plan, staging, verification, the swap and (since issue 11) keeping
 * excluded paths in place all share one plan and one staging tree, and their all-or-nothing swap is easiest to
 * prove in one place. Splitting it into plan, stage and swap classes is part of the restructure (issue 12), done
 * with the benchmark before and after; it was not split within the safety fix, whose tests pin its behaviour.
 */
public final class MediaRestore {
    /** How the restored tree meets what is already in the target. */
    public enum Mode {
        /** The restored tree replaces the target: anything not restored is removed. */
        REPLACE,
        /** Restored files and links overwrite; everything else in the target stays. */
        MERGE
    }

    private static final int BUFFER = 256 * 1024;
    private static final int MAX_LINK_HOPS = 40;

    private final ArchiveReader reader;
    private final String source;
    private final Path target;
    private Mode mode = Mode.REPLACE;
    private List<String> prefixes = List.of();
    private List<String> globs = List.of();
    private boolean keepPrevious;
    private boolean allowExternalLinks;
    private boolean fsync = true;
    private final List<Filter> keep = new ArrayList<>();
    private MediaProgress.Listener progress = p -> {
    };
    private Runnable checkpoint = () -> {
    };
    // Test hook: free bytes of the target's filesystem.
    private ToLongFunction<Path> usableSpace = MediaRestore::usable;

    private MediaRestore(ArchiveReader reader, String source, Path target) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.source = Objects.requireNonNull(source, "source");
        this.target = Objects.requireNonNull(target, "target").toAbsolutePath().normalize();
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
        this.prefixes = pathPrefixes.stream().map(p -> p.endsWith("/") ? p.substring(0, p.length() - 1) : p)
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
        keep.add(new Filter(MediaPaths.globs(target.getFileSystem(), include),
                MediaPaths.globs(target.getFileSystem(), exclude)));
        return this;
    }

    private record Filter(List<PathMatcher> include, List<PathMatcher> exclude) {
    }

    /** Whether a relative path is left out by one of the kept filters, so out of reach. */
    private boolean excluded(String path, boolean dir) {
        if (keep.isEmpty() || path.equals(".") || MediaPaths.unsafeReason(path) != null) {
            // An unsafe path stays selected, so that validation names it.
            return false;
        }
        for (Filter f : keep) {
            for (String a = path; a != null; a = MediaPaths.parent(a)) {
                if (MediaPaths.anyMatch(f.exclude(), target.getFileSystem().getPath(a))) {
                    return true;
                }
            }
            if (!dir && !f.include().isEmpty()
                    && !MediaPaths.anyMatch(f.include(), target.getFileSystem().getPath(path))) {
                return true;
            }
        }
        return false;
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

    /** Whether each file and directory is fsynced before the swap (default true). */
    public MediaRestore fsync(boolean fsync) {
        this.fsync = fsync;
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
    public record Plan(List<String> added, List<String> changed, List<String> removed, long files, long bytes,
            List<String> kept) {
    }

    /**
     * A finished restore.
     *
     * @param plan what was added, changed and removed
     * @param previous where the replaced tree or overwritten files were kept, or null when not kept
     * @param warnings problems after the swap that did not undo it (e.g. removing the previous tree failed)
     */
    public record Result(Plan plan, Path previous, List<String> warnings) {
    }

    private enum Kind {
        FILE, DIR, LINK
    }

    private record Item(String path, Kind kind, MediaFile file, MediaDirectory dir, MediaSymlink link) {
    }

    /** Validates the archive's paths and computes what would change, touching nothing. */
    public Plan dryRun() throws IOException {
        TreeMap<String, Item> items = select();
        validate(items);
        return plan(items);
    }

    /**
     * Validates, checks free space, extracts into staging while verifying every file's SHA-256, then swaps
     * in. Any failure before the swap removes the staging directory and leaves the target untouched.
     */
    public Result run() throws IOException {
        long start = System.nanoTime();
        TreeMap<String, Item> items = select();
        validate(items);
        Plan plan = plan(items);
        // Directories of the target that hold a kept path but are not in the restored tree: recreated in it.
        TreeMap<String, Map<String, Object>> keptParents = new TreeMap<>(MediaPaths.BYTE_ORDER);
        for (String k : plan.kept()) {
            for (String a = MediaPaths.parent(k); a != null; a = MediaPaths.parent(a)) {
                if (!items.containsKey(a)) {
                    keptParents.put(a, MediaPaths.stat(target.resolve(a)));
                }
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        checkSpace(items, parent);
        String id = UUID.randomUUID().toString().substring(0, 12);
        Path staging = parent.resolve(target.getFileName() + ".holdfast-staging-" + id);
        Path previous = parent.resolve(target.getFileName() + ".holdfast-previous-" + id);
        Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        boolean swapped = false;
        try {
            extract(items, staging, start, keptParents);
            List<String> warnings = new ArrayList<>();
            Path kept = mode == Mode.REPLACE ? swapReplace(items, staging, previous, plan.kept(), keptParents, warnings)
                    : swapMerge(items, staging, previous, warnings);
            swapped = true;
            return new Result(plan, kept, List.copyOf(warnings));
        } finally {
            if (!swapped || mode == Mode.MERGE) {
                deleteTree(staging);
            }
        }
    }

    // ---- selection and validation ----

    private TreeMap<String, Item> select() throws IOException {
        MediaSection section = reader.manifest().media().stream().filter(m -> m.source().equals(source))
                .findFirst().orElseThrow(() -> new MediaRestoreException("the archive has no media source '" + source
                        + "'"));
        List<PathMatcher> matchers = MediaPaths.globs(target.getFileSystem(), globs);
        TreeMap<String, Item> items = new TreeMap<>(MediaPaths.BYTE_ORDER);
        for (MediaFile f : section.files()) {
            if (selected(f.path(), matchers) && !excluded(f.path(), false)) {
                put(items, new Item(f.path(), Kind.FILE, f, null, null));
            }
        }
        for (MediaSymlink l : section.symlinks()) {
            if (selected(l.path(), matchers) && !excluded(l.path(), false)) {
                put(items, new Item(l.path(), Kind.LINK, null, null, l));
            }
        }
        Map<String, MediaDirectory> dirs = new HashMap<>();
        for (MediaDirectory d : section.directories()) {
            if (dirs.put(d.path(), d) != null) {
                throw new UnsafeMediaPathException(d.path(), "directory listed twice");
            }
        }
        Set<String> needed = new HashSet<>();
        for (String p : items.keySet()) {
            if (MediaPaths.unsafeReason(p) != null) {
                continue;
            }
            for (String a = MediaPaths.parent(p); a != null; a = MediaPaths.parent(a)) {
                needed.add(a);
            }
        }
        for (MediaDirectory d : section.directories()) {
            if (d.path().equals(".") ? mode == Mode.REPLACE : (selected(d.path(), matchers)
                    || needed.contains(d.path())) && !excluded(d.path(), true)) {
                put(items, new Item(d.path(), Kind.DIR, null, d, null));
            }
        }
        // Directories implied by a file but not listed (archives written before directories were recorded).
        for (String a : needed) {
            if (!items.containsKey(a) && !dirs.containsKey(a)) {
                put(items, new Item(a, Kind.DIR, null, null, null));
            }
        }
        return items;
    }

    private static void put(TreeMap<String, Item> items, Item item) throws UnsafeMediaPathException {
        Item old = items.put(item.path(), item);
        if (old != null) {
            throw new UnsafeMediaPathException(item.path(), "listed twice (" + old.kind() + " and " + item.kind() + ")");
        }
    }

    private boolean selected(String path, List<PathMatcher> matchers) {
        if (prefixes.isEmpty() && matchers.isEmpty()) {
            return true;
        }
        for (String p : prefixes) {
            if (path.equals(p) || path.startsWith(p + "/")) {
                return true;
            }
        }
        String reason = MediaPaths.unsafeReason(path);
        // An unsafe path is selected so that validation names it instead of the glob engine choking on it.
        return reason != null || MediaPaths.anyMatch(matchers, target.getFileSystem().getPath(path));
    }

    /** Refuses the whole restore on the first path that could write outside the target. */
    private void validate(TreeMap<String, Item> items) throws IOException {
        MediaSection section = reader.manifest().media().stream().filter(m -> m.source().equals(source))
                .findFirst().orElseThrow();
        Map<String, String> allLinks = new HashMap<>();
        for (MediaSymlink l : section.symlinks()) {
            MediaPaths.requireSafe(l.path());
            allLinks.put(l.path(), l.target());
        }
        Set<String> allFiles = new HashSet<>();
        for (MediaFile f : section.files()) {
            allFiles.add(f.path());
        }
        for (Item item : items.values()) {
            if (item.path().equals(".")) {
                continue;
            }
            MediaPaths.requireSafe(item.path());
            for (String a = MediaPaths.parent(item.path()); a != null; a = MediaPaths.parent(a)) {
                if (allLinks.containsKey(a)) {
                    throw new UnsafeMediaPathException(item.path(), "goes through the symbolic link '" + a
                            + "' of the same archive");
                }
                if (allFiles.contains(a)) {
                    throw new UnsafeMediaPathException(item.path(), "goes through the file '" + a + "'");
                }
            }
            if (item.kind() == Kind.FILE) {
                EntryInfo e = reader.manifest().entry(item.file().entry());
                if (e == null || !EntryInfo.KIND_MEDIA_FILE.equals(e.kind())) {
                    throw new MediaRestoreException("media file '" + item.path() + "' names entry '"
                            + item.file().entry() + "', which is not a media entry of this archive");
                }
                if (e.rawSize() != item.file().size() || !e.sha256().equals(item.file().sha256())) {
                    throw new MediaRestoreException("media file '" + item.path() + "' and its entry disagree on size "
                            + "or SHA-256; the manifest is inconsistent");
                }
            }
        }
        // Link targets second, so a path through a link is named as such even when the link also points away.
        for (Item item : items.values()) {
            if (item.kind() == Kind.LINK && (item.link().target() == null || item.link().target().isEmpty()
                    || item.link().target().indexOf('\0') >= 0)) {
                throw new UnsafeMediaPathException(item.path(), "symbolic link with an empty target or one with NUL");
            }
            if (item.kind() == Kind.LINK && !allowExternalLinks) {
                String why = escapes(item.path(), item.link().target(), allLinks);
                if (why != null) {
                    throw new UnsafeMediaPathException(item.path(), "symbolic link to '" + item.link().target() + "' "
                            + why + " (allowSymlinksOutsideTarget permits such links)");
                }
            }
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
                && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new MediaRestoreException("restore target " + target + " exists and is not a directory"
                    + (Files.isSymbolicLink(target) ? " but a symbolic link; name the real directory" : ""));
        }
        if (mode == Mode.MERGE) {
            checkMergeTarget(items);
        }
    }

    /**
     * Resolves a link's target inside the restored tree, following the archive's own links (and, when
     * merging, links already on disk), and says why it leaves the target, or null.
     */
    private String escapes(String linkPath, String linkTarget, Map<String, String> links) throws IOException {
        Deque<String> stack = new ArrayDeque<>();
        Deque<String> todo = new ArrayDeque<>();
        String parent = MediaPaths.parent(linkPath);
        if (parent != null) {
            stack.addAll(List.of(parent.split("/")));
        }
        if (!push(todo, stack, linkTarget)) {
            return "points outside the restore target";
        }
        int hops = 0;
        String via = null;
        while (!todo.isEmpty()) {
            String s = todo.pollFirst();
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (stack.isEmpty()) {
                    return "resolves outside the restore target" + (via == null ? "" : " through '" + via + "'");
                }
                stack.pollLast();
                continue;
            }
            stack.addLast(s);
            String cur = String.join("/", stack);
            String next = links.get(cur);
            if (next == null && mode == Mode.MERGE && Files.isSymbolicLink(target.resolve(cur))) {
                next = Files.readSymbolicLink(target.resolve(cur)).toString();
            }
            if (next != null) {
                if (++hops > MAX_LINK_HOPS) {
                    return "goes through too many links";
                }
                stack.pollLast();
                via = cur;
                if (!push(todo, stack, next)) {
                    return "resolves outside the restore target through '" + cur + "'";
                }
            }
        }
        return null;
    }

    /** Queues a link target's segments in front; false when it is absolute and outside the target. */
    private boolean push(Deque<String> todo, Deque<String> stack, String linkTarget) {
        String rel = linkTarget;
        if (linkTarget.startsWith("/")) {
            Path abs = target.getFileSystem().getPath(linkTarget).normalize();
            if (!abs.startsWith(target)) {
                return false;
            }
            stack.clear();
            rel = target.relativize(abs).toString();
        }
        String[] segs = rel.split("/");
        for (int i = segs.length - 1; i >= 0; i--) {
            todo.addFirst(segs[i]);
        }
        return true;
    }

    /** Merging writes into a live tree: nothing on the way may be a link or a file, nothing replaced may be a directory. */
    private void checkMergeTarget(TreeMap<String, Item> items) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Map<String, Boolean> realDir = new HashMap<>();
        for (Item item : items.values()) {
            if (item.path().equals(".")) {
                continue;
            }
            String blocked = blockedAncestor(item.path(), realDir);
            if (blocked != null) {
                throw new UnsafeMediaPathException(item.path(), "'" + blocked
                        + "' in the target is a symbolic link or a file, a merge will not write through it");
            }
            Path p = target.resolve(item.path());
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            if (Files.isSymbolicLink(p) && item.kind() == Kind.DIR) {
                throw new UnsafeMediaPathException(item.path(), "'" + item.path()
                        + "' in the target is a symbolic link, a merge will not write through it");
            }
            if (item.kind() == Kind.DIR && !isDir) {
                throw new MediaRestoreException("cannot merge directory '" + item.path()
                        + "': the target has a file or link there");
            }
            if (item.kind() != Kind.DIR && isDir) {
                throw new MediaRestoreException("cannot merge " + item.kind().name().toLowerCase() + " '" + item.path()
                        + "': the target has a directory there");
            }
        }
    }

    /** The first ancestor of {@code path} in the target that exists and is not a real directory, or null. */
    private String blockedAncestor(String path, Map<String, Boolean> cache) {
        List<String> ancestors = new ArrayList<>();
        for (String a = MediaPaths.parent(path); a != null; a = MediaPaths.parent(a)) {
            ancestors.add(0, a);
        }
        for (String a : ancestors) {
            Boolean ok = cache.computeIfAbsent(a, k -> {
                Path p = target.resolve(k);
                return !Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? null
                        : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            });
            if (ok == null) {
                return null;
            }
            if (!ok) {
                return a;
            }
        }
        return null;
    }

    // ---- planning ----

    private Plan plan(TreeMap<String, Item> items) throws IOException {
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        long files = 0;
        long bytes = 0;
        boolean exists = Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS);
        Map<String, Boolean> cache = new HashMap<>();
        for (Item item : items.values()) {
            if (item.kind() == Kind.FILE) {
                files++;
                bytes += item.file().size();
            }
            if (item.path().equals(".")) {
                continue;
            }
            Path p = target.resolve(item.path());
            if (!exists || blockedAncestor(item.path(), cache) != null
                    || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                added.add(item.path());
            } else if (differs(item, p)) {
                changed.add(item.path());
            }
        }
        List<String> kept = new ArrayList<>();
        if (exists && mode == Mode.REPLACE) {
            Files.walkFileTree(target, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String rel = target.relativize(dir).toString();
                    if (!rel.isEmpty() && excluded(rel, true)) {
                        kept.add(rel);
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    note(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (excluded(target.relativize(file).toString(), attrs.isDirectory())) {
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
        // A directory that holds a kept path stays, and the restored tree must have room for each kept path.
        Set<String> holders = new HashSet<>();
        for (String k : kept) {
            Item at = items.get(k);
            if (at != null) {
                throw new MediaRestoreException("the backup has a " + at.kind().name().toLowerCase() + " at '" + k
                        + "', which the target keeps as a path its backups exclude; nothing was restored");
            }
            for (String a = MediaPaths.parent(k); a != null; a = MediaPaths.parent(a)) {
                holders.add(a);
                Item i = items.get(a);
                if (i != null && i.kind() != Kind.DIR) {
                    throw new MediaRestoreException("the backup has a " + i.kind().name().toLowerCase() + " at '" + a
                            + "', where the target keeps '" + k + "', a path its backups exclude; nothing was "
                            + "restored");
                }
            }
        }
        removed.removeIf(holders::contains);
        removed.sort(MediaPaths.BYTE_ORDER);
        kept.sort(MediaPaths.BYTE_ORDER);
        return new Plan(List.copyOf(added), List.copyOf(changed), List.copyOf(removed), files, bytes,
                List.copyOf(kept));
    }

    private boolean differs(Item item, Path p) throws IOException {
        Map<String, Object> a = MediaPaths.stat(p);
        int type = (Integer) a.get("mode") & 0170000;
        int perms = (Integer) a.get("mode") & 01777;
        return switch (item.kind()) {
            case FILE -> type != 0100000 || (Long) a.get("size") != item.file().size()
                    || perms != MediaPaths.parseMode(item.file().mode(), perms)
                    || ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond() != item.file().mtime()
                            .getEpochSecond();
            case LINK -> type != 0120000 || !Files.readSymbolicLink(p).toString().equals(item.link().target());
            // Merging leaves existing directories as they are, so only a replace changes their mode.
            case DIR -> type != 0040000 || (mode == Mode.REPLACE && item.dir() != null
                    && perms != MediaPaths.parseMode(item.dir().mode(), perms));
        };
    }

    private void checkSpace(TreeMap<String, Item> items, Path parent) throws IOException {
        long needed = 0;
        for (Item item : items.values()) {
            // Whole blocks per file plus one block per directory or link: close to what the filesystem charges.
            needed += item.kind() == Kind.FILE ? (item.file().size() + 4095) / 4096 * 4096 + 4096 : 4096;
        }
        long usable = usableSpace.applyAsLong(parent);
        if (needed > usable) {
            throw new MediaRestoreException("not enough free space to restore media source '" + source + "' into "
                    + target + ": needs about " + needed + " bytes, " + usable + " usable on that filesystem");
        }
    }

    private static long usable(Path p) {
        try {
            FileStore store = Files.getFileStore(p);
            return store.getUsableSpace();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- extraction ----

    private void extract(TreeMap<String, Item> items, Path staging, long start,
            TreeMap<String, Map<String, Object>> keptParents) throws IOException {
        long filesTotal = 0;
        long bytesTotal = 0;
        for (Item i : items.values()) {
            if (i.kind() == Kind.FILE) {
                filesTotal++;
                bytesTotal += i.file().size();
            }
        }
        long filesDone = 0;
        long bytesDone = 0;
        long reported = 0;
        byte[] buf = new byte[BUFFER];
        if (mode == Mode.REPLACE) {
            for (Item i : items.values()) {
                if (i.kind() == Kind.DIR && !i.path().equals(".")) {
                    Files.createDirectories(staging.resolve(i.path()));
                }
            }
            for (String d : keptParents.keySet()) {
                Files.createDirectories(staging.resolve(d));
            }
        }
        for (Item i : items.values()) {
            if (i.kind() != Kind.FILE) {
                continue;
            }
            checkpoint.run();
            Path out = staging.resolve(i.path());
            Files.createDirectories(out.getParent());
            try (InputStream in = reader.openEntry(i.file().entry());
                    FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS)) {
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
                        report(filesDone, filesTotal, bytesDone, bytesTotal, i.path(), start);
                    }
                }
                if (fsync) {
                    ch.force(false);
                }
            } catch (dev.holdfast.archive.ArchiveException e) {
                throw new MediaRestoreException("media file '" + i.path() + "' failed verification, nothing was "
                        + "restored: " + e.getMessage(), e);
            }
            MediaPaths.setMode(out, MediaPaths.parseMode(i.file().mode(), 0600));
            MediaPaths.setMtime(out, i.file().mtime());
            filesDone++;
            report(filesDone, filesTotal, bytesDone, bytesTotal, i.path(), start);
        }
        // Links last: nothing is ever extracted through one, even one the checks above missed.
        for (Item i : items.values()) {
            if (i.kind() == Kind.LINK) {
                Path out = staging.resolve(i.path());
                Files.createDirectories(out.getParent());
                Files.createSymbolicLink(out, staging.getFileSystem().getPath(i.link().target()));
                MediaPaths.setMtime(out, i.link().mtime());
            }
        }
        if (mode == Mode.REPLACE) {
            // Deepest first: creating children moves a directory's mtime, and a read-only one refuses them.
            for (Map.Entry<String, Map<String, Object>> d : keptParents.descendingMap().entrySet()) {
                MediaPaths.setMode(staging.resolve(d.getKey()), (Integer) d.getValue().get("mode") & 01777);
            }
            for (Item i : items.descendingMap().values()) {
                if (i.kind() == Kind.DIR && i.dir() != null) {
                    Path d = i.path().equals(".") ? staging : staging.resolve(i.path());
                    MediaPaths.setMode(d, MediaPaths.parseMode(i.dir().mode(), 0700));
                    MediaPaths.setMtime(d, i.dir().mtime());
                }
            }
            if (fsync) {
                for (Item i : items.values()) {
                    if (i.kind() == Kind.DIR) {
                        syncDir(i.path().equals(".") ? staging : staging.resolve(i.path()));
                    }
                }
            }
        }
    }

    private void report(long files, long filesTotal, long bytes, long bytesTotal, String current, long start) {
        progress.onProgress(new MediaProgress(files, filesTotal, bytes, bytesTotal, current,
                Duration.ofNanos(System.nanoTime() - start)));
    }

    // ---- swapping in ----

    private Path swapReplace(TreeMap<String, Item> items, Path staging, Path previous, List<String> kept,
            TreeMap<String, Map<String, Object>> keptParents, List<String> warnings) throws IOException {
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
            throw new MediaRestoreException("swapping the restored tree into " + target + " failed; the target was "
                    + "put back: " + e.getMessage(), e);
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
        if (keepPrevious) {
            return previous;
        }
        try {
            deleteTree(previous);
            return null;
        } catch (IOException e) {
            warnings.add("the previous tree " + previous + " could not be removed: " + e.getMessage());
            return previous;
        }
    }

    /**
     * Moves the kept paths from the replaced tree into the restored one, each with one rename, so that what the
     * backups exclude stays where it was; if one cannot be moved, everything is put back as it was before the swap.
     */
    private void carryKept(TreeMap<String, Item> items, Path staging, Path previous, List<String> kept,
            TreeMap<String, Map<String, Object>> keptParents) throws IOException {
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
            throw new MediaRestoreException("moving the excluded path '" + (carried.size() < kept.size()
                    ? kept.get(carried.size()) : "?") + "' into the restored tree failed; the target was put back: "
                    + e.getMessage(), e);
        }
        // The renames moved their directories' mtimes: give them back the restored (or kept) ones.
        Set<String> parents = new HashSet<>();
        for (String k : kept) {
            String p = MediaPaths.parent(k);
            parents.add(p == null ? "." : p);
        }
        for (String p : parents) {
            Path dir = p.equals(".") ? target : target.resolve(p);
            Item i = items.get(p);
            if (i != null && i.dir() != null) {
                MediaPaths.setMtime(dir, i.dir().mtime());
            } else if (keptParents.containsKey(p)) {
                MediaPaths.setMtime(dir, ((FileTime) keptParents.get(p).get("lastModifiedTime")).toInstant());
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
                int m = (Integer) MediaPaths.stat(d).get("mode") & 07777;
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

    private record Move(String path, boolean createdDir, boolean backedUp) {
    }

    private Path swapMerge(TreeMap<String, Item> items, Path staging, Path previous, List<String> warnings)
            throws IOException {
        List<Move> journal = new ArrayList<>();
        boolean anyBackedUp = false;
        try {
            Files.createDirectories(target);
            for (Item i : items.values()) {
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
                if (blockedAncestor(i.path(), new HashMap<>()) != null
                        || Files.isDirectory(dst, LinkOption.NOFOLLOW_LINKS)) {
                    throw new MediaRestoreException("the target changed during the restore at '" + i.path() + "'");
                }
                boolean backedUp = false;
                if (Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) {
                    Path bak = previous.resolve(i.path());
                    Files.createDirectories(bak.getParent());
                    Files.move(dst, bak, StandardCopyOption.ATOMIC_MOVE);
                    backedUp = true;
                    anyBackedUp = true;
                }
                journal.add(new Move(i.path(), false, backedUp));
                Files.move(staging.resolve(i.path()), dst, StandardCopyOption.ATOMIC_MOVE);
            }
            for (int k = journal.size() - 1; k >= 0; k--) {
                Move m = journal.get(k);
                Item i = items.get(m.path());
                if (m.createdDir() && i.dir() != null) {
                    MediaPaths.setMode(target.resolve(m.path()), MediaPaths.parseMode(i.dir().mode(), 0700));
                    MediaPaths.setMtime(target.resolve(m.path()), i.dir().mtime());
                }
            }
        } catch (IOException | RuntimeException e) {
            List<String> left = rollback(journal, previous);
            throw new MediaRestoreException("merging into " + target + " failed and was undone"
                    + (left.isEmpty() ? "" : " except for " + left + " (originals are in " + previous + ")") + ": "
                    + e.getMessage(), e);
        }
        if (!anyBackedUp) {
            return null;
        }
        if (keepPrevious) {
            return previous;
        }
        try {
            deleteTree(previous);
            return null;
        } catch (IOException e) {
            warnings.add("the overwritten files in " + previous + " could not be removed: " + e.getMessage());
            return previous;
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

    private static void syncDir(Path dir) throws IOException {
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
