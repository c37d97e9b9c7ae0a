package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.Manifest.MediaSymlink;
import dev.holdfast.archive.ReferencedArchives;
import dev.holdfast.media.MediaItem.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The safety checks of a {@link MediaRestore}, run before anything is written: every path stays inside the
 * target, no path goes through a link or a file, links point inside unless allowed, and a merge never writes
 * through what is already in the target.
 */
final class MediaChecks {
    private static final int MAX_LINK_HOPS = 40;

    private final ArchiveReader reader;
    private final String source;
    private final Path target;
    private final MediaRestore.Mode mode;
    private final boolean allowExternalLinks;
    private final ReferencedArchives references;
    private final Map<String, Map<String, MediaFile>> holderMembers = new HashMap<>();

    MediaChecks(
            ArchiveReader reader,
            ReferencedArchives references,
            String source,
            Path target,
            MediaRestore.Mode mode,
            boolean allowExternalLinks) {
        this.reader = reader;
        this.references = references;
        this.source = source;
        this.target = target;
        this.mode = mode;
        this.allowExternalLinks = allowExternalLinks;
    }

    /** Refuses the whole restore on the first path that could write outside the target. */
    void validate(TreeMap<String, MediaItem> items) throws IOException {
        MediaSection section = reader.manifest().media().stream()
                .filter(m -> m.source().equals(source))
                .findFirst()
                .orElseThrow();
        Map<String, String> allLinks = new HashMap<>();
        for (MediaSymlink l : section.symlinks()) {
            MediaPaths.requireSafe(l.path());
            allLinks.put(l.path(), l.target());
        }
        Set<String> allFiles = new HashSet<>();
        for (MediaFile f : section.files()) {
            allFiles.add(f.path());
        }
        checkPaths(items, allLinks, allFiles);
        // Link targets second, so a path through a link is named as such even when the link also points away.
        checkLinks(items, allLinks);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new MediaRestoreException("restore target " + target + " exists and is not a directory"
                    + (Files.isSymbolicLink(target) ? " but a symbolic link; name the real directory" : ""));
        }
        if (mode == MediaRestore.Mode.MERGE) {
            checkMergeTarget(items);
        }
    }

    private void checkPaths(TreeMap<String, MediaItem> items, Map<String, String> allLinks, Set<String> allFiles)
            throws IOException {
        for (MediaItem item : items.values()) {
            if (item.path().equals(".")) {
                continue;
            }
            MediaPaths.requireSafe(item.path());
            for (String a = MediaPaths.parent(item.path()); a != null; a = MediaPaths.parent(a)) {
                if (allLinks.containsKey(a)) {
                    throw new UnsafeMediaPathException(
                            item.path(), "goes through the symbolic link '" + a + "' of the same archive");
                }
                if (allFiles.contains(a)) {
                    throw new UnsafeMediaPathException(item.path(), "goes through the file '" + a + "'");
                }
            }
            if (item.kind() == Kind.FILE && item.file().packed()) {
                EntryInfo e = entryOf(item.file());
                String why = MediaPackReader.inconsistency(
                        item.file(),
                        e,
                        item.file().referenced() ? holderMembers(item.file().storedIn()) : null);
                if (why != null) {
                    throw new MediaRestoreException("media file '" + item.path() + "' cannot be read: " + why
                            + (item.file().referenced()
                                    ? " (backup " + item.file().storedIn() + ")"
                                    : "")
                            + "; the manifest is inconsistent");
                }
            } else if (item.kind() == Kind.FILE) {
                EntryInfo e = entryOf(item.file());
                if (e == null || !EntryInfo.KIND_MEDIA_FILE.equals(e.kind())) {
                    throw new MediaRestoreException("media file '" + item.path() + "' names entry '"
                            + item.file().entry() + "', which is not a media entry of "
                            + (item.file().referenced()
                                    ? "the archive of backup " + item.file().storedIn() + " that holds it"
                                    : "this archive"));
                }
                if (e.rawSize() != item.file().size()
                        || !e.sha256().equals(item.file().sha256())) {
                    throw new MediaRestoreException("media file '" + item.path() + "' and its entry disagree on size "
                            + "or SHA-256; the manifest is inconsistent");
                }
            }
        }
    }

    /** The packed files a referenced backup's manifest records as its own ({@code entryOf} has opened it). */
    private Map<String, MediaFile> holderMembers(String backupId) throws MediaRestoreException {
        Map<String, MediaFile> m = holderMembers.get(backupId);
        if (m == null) {
            try {
                m = MediaPackReader.members(references.open(backupId).manifest());
            } catch (IOException | RuntimeException e) {
                throw new MediaRestoreException("backup " + backupId + "'s archive cannot be read: " + e.getMessage());
            }
            holderMembers.put(backupId, m);
        }
        return m;
    }

    /**
     * The entry holding {@code f}'s content: in this archive, or in the archive of the backup it is stored in, which
     * must be one the manifest lists among its references and must be readable now (a missing or unreadable holder
     * fails the restore here, before anything is written).
     */
    private EntryInfo entryOf(MediaFile f) throws MediaRestoreException {
        if (!f.referenced()) {
            return reader.manifest().entry(f.entry());
        }
        Manifest.Incremental inc = reader.manifest().incremental();
        if (inc == null || inc.references().stream().noneMatch(r -> r.backupId().equals(f.storedIn()))) {
            throw new MediaRestoreException("media file '" + f.path() + "' is stored in backup " + f.storedIn()
                    + ", which the manifest does not list among its references; the manifest is inconsistent");
        }
        try {
            return references.open(f.storedIn()).manifest().entry(f.entry());
        } catch (IOException | RuntimeException e) {
            throw new MediaRestoreException("media file '" + f.path() + "' is stored in backup " + f.storedIn()
                    + ", whose archive cannot be read: " + e.getMessage());
        }
    }

    private void checkLinks(TreeMap<String, MediaItem> items, Map<String, String> allLinks) throws IOException {
        for (MediaItem item : items.values()) {
            if (item.kind() == Kind.LINK
                    && (item.link().target() == null
                            || item.link().target().isEmpty()
                            || item.link().target().indexOf('\0') >= 0)) {
                throw new UnsafeMediaPathException(item.path(), "symbolic link with an empty target or one with NUL");
            }
            if (item.kind() == Kind.LINK && !allowExternalLinks) {
                String why = escapes(item.path(), item.link().target(), allLinks);
                if (why != null) {
                    throw new UnsafeMediaPathException(
                            item.path(),
                            "symbolic link to '" + item.link().target() + "' " + why
                                    + " (allowSymlinksOutsideTarget permits such links)");
                }
            }
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
            if (next == null && mode == MediaRestore.Mode.MERGE && Files.isSymbolicLink(target.resolve(cur))) {
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
    private void checkMergeTarget(TreeMap<String, MediaItem> items) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Map<String, Boolean> realDir = new HashMap<>();
        for (MediaItem item : items.values()) {
            if (item.path().equals(".")) {
                continue;
            }
            String blocked = blockedAncestor(target, item.path(), realDir);
            if (blocked != null) {
                throw new UnsafeMediaPathException(
                        item.path(),
                        "'" + blocked
                                + "' in the target is a symbolic link or a file, a merge will not write through it");
            }
            Path p = target.resolve(item.path());
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            if (Files.isSymbolicLink(p) && item.kind() == Kind.DIR) {
                throw new UnsafeMediaPathException(
                        item.path(),
                        "'" + item.path() + "' in the target is a symbolic link, a merge will not write through it");
            }
            if (item.kind() == Kind.DIR && !isDir) {
                throw new MediaRestoreException(
                        "cannot merge directory '" + item.path() + "': the target has a file or link there");
            }
            if (item.kind() != Kind.DIR && isDir) {
                throw new MediaRestoreException(
                        "cannot merge " + item.kind().name().toLowerCase() + " '" + item.path()
                                + "': the target has a directory there");
            }
        }
    }

    /** The first ancestor of {@code path} in {@code target} that exists and is not a real directory, or null. */
    static String blockedAncestor(Path target, String path, Map<String, Boolean> cache) {
        List<String> ancestors = new ArrayList<>();
        for (String a = MediaPaths.parent(path); a != null; a = MediaPaths.parent(a)) {
            ancestors.add(0, a);
        }
        for (String a : ancestors) {
            Boolean ok = cache.computeIfAbsent(a, k -> {
                Path p = target.resolve(k);
                return !Files.exists(p, LinkOption.NOFOLLOW_LINKS)
                        ? null
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
}
