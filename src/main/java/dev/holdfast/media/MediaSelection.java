package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest.MediaDirectory;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.Manifest.MediaSymlink;
import dev.holdfast.media.MediaItem.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which paths of an archive's media section a {@link MediaRestore} restores: its prefixes and globs, minus what
 * the kept filters put out of reach, plus the directories the selected paths need.
 */
final class MediaSelection {
    /** One set of a media root's backup filters, whose excluded paths a restore never touches. */
    record Filter(List<PathMatcher> include, List<PathMatcher> exclude) {}

    private final ArchiveReader reader;
    private final String source;
    private final Path target;
    private final MediaRestore.Mode mode;
    private final List<String> prefixes;
    private final List<String> globs;
    private final List<Filter> keep;

    MediaSelection(
            ArchiveReader reader,
            String source,
            Path target,
            MediaRestore.Mode mode,
            List<String> prefixes,
            List<String> globs,
            List<Filter> keep) {
        this.reader = reader;
        this.source = source;
        this.target = target;
        this.mode = mode;
        this.prefixes = prefixes;
        this.globs = globs;
        this.keep = keep;
    }

    /** Whether a relative path is left out by one of the kept filters, so out of reach. */
    boolean excluded(String path, boolean dir) {
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
            if (!dir
                    && !f.include().isEmpty()
                    && !MediaPaths.anyMatch(f.include(), target.getFileSystem().getPath(path))) {
                return true;
            }
        }
        return false;
    }

    /** The selected paths in byte order, each once. */
    TreeMap<String, MediaItem> select() throws IOException {
        MediaSection section = reader.manifest().media().stream()
                .filter(m -> m.source().equals(source))
                .findFirst()
                .orElseThrow(() -> new MediaRestoreException("the archive has no media source '" + source + "'"));
        List<PathMatcher> matchers = MediaPaths.globs(target.getFileSystem(), globs);
        TreeMap<String, MediaItem> items = new TreeMap<>(MediaPaths.BYTE_ORDER);
        for (MediaFile f : section.files()) {
            if (selected(f.path(), matchers) && !excluded(f.path(), false)) {
                put(items, new MediaItem(f.path(), Kind.FILE, f, null, null));
            }
        }
        for (MediaSymlink l : section.symlinks()) {
            if (selected(l.path(), matchers) && !excluded(l.path(), false)) {
                put(items, new MediaItem(l.path(), Kind.LINK, null, null, l));
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
            if (d.path().equals(".")
                    ? mode == MediaRestore.Mode.REPLACE
                    : (selected(d.path(), matchers) || needed.contains(d.path())) && !excluded(d.path(), true)) {
                put(items, new MediaItem(d.path(), Kind.DIR, null, d, null));
            }
        }
        // Directories implied by a file but not listed (archives written before directories were recorded).
        for (String a : needed) {
            if (!items.containsKey(a) && !dirs.containsKey(a)) {
                put(items, new MediaItem(a, Kind.DIR, null, null, null));
            }
        }
        return items;
    }

    private static void put(TreeMap<String, MediaItem> items, MediaItem item) throws UnsafeMediaPathException {
        MediaItem old = items.put(item.path(), item);
        if (old != null) {
            throw new UnsafeMediaPathException(
                    item.path(), "listed twice (" + old.kind() + " and " + item.kind() + ")");
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
        return reason != null
                || MediaPaths.anyMatch(matchers, target.getFileSystem().getPath(path));
    }
}
