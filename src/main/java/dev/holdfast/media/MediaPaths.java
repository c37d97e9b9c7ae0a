package dev.holdfast.media;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/** Path rules shared by backup and restore: ordering, safety, globs, modes. */
final class MediaPaths {
    /** Code point order, which is the byte order of the UTF-8 names (String.compareTo is UTF-16 order). */
    static final Comparator<String> BYTE_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private MediaPaths() {}

    /** Why a relative path is unsafe to create under a root, or null when it is safe. */
    static String unsafeReason(String path) {
        if (path == null || path.isEmpty()) {
            return "empty path";
        }
        if (path.startsWith("/")) {
            return "absolute path";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == 0) {
                return "contains NUL";
            }
            if (c == '\\') {
                return "contains a backslash";
            }
            if (c < 0x20 || c == 0x7f) {
                return "contains a control character";
            }
        }
        if (path.length() >= 2 && path.charAt(1) == ':' && Character.isLetter(path.charAt(0))) {
            return "drive-letter path";
        }
        // Segment by segment without splitting: a backup asks this of every path it walks (20,000 strings and
        // arrays per backup of a tree of thumbnails), a restore of every path an archive names.
        for (int start = 0; start <= path.length(); ) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = path.length();
            }
            int len = end - start;
            if (len == 0) {
                return "empty path segment";
            }
            if (path.charAt(start) == '.' && (len == 1 || (len == 2 && path.charAt(start + 1) == '.'))) {
                return len == 1 ? "'.' segment" : "'..' segment";
            }
            start = end + 1;
        }
        return null;
    }

    static void requireSafe(String path) throws UnsafeMediaPathException {
        String reason = unsafeReason(path);
        if (reason != null) {
            throw new UnsafeMediaPathException(path, reason);
        }
    }

    /** Glob matchers ({@link java.nio.file.FileSystem#getPathMatcher} syntax) matched against relative paths. */
    static List<PathMatcher> globs(FileSystem fs, List<String> patterns) {
        return patterns.stream().map(p -> fs.getPathMatcher("glob:" + p)).toList();
    }

    static boolean anyMatch(List<PathMatcher> matchers, Path relative) {
        for (PathMatcher m : matchers) {
            if (m.matches(relative)) {
                return true;
            }
        }
        return false;
    }

    /** The parent of a relative path, or null at the top. */
    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? null : path.substring(0, slash);
    }

    /** The permission bits of a {@code unix:mode} value as a 4-digit octal string. */
    static String octal(int mode) {
        return OCTAL[mode & 07777];
    }

    // Every permission text made once: String.format per file was a tenth of an incremental backup's 20,000-file pass.
    private static final String[] OCTAL = new String[010000];

    static {
        for (int m = 0; m < OCTAL.length; m++) {
            OCTAL[m] = String.format("%04o", m);
        }
    }

    /**
     * Parses an octal mode and keeps permission and sticky bits: set-user/group-id bits from an archive
     * are dropped so a restore never mints privileged executables.
     */
    static int parseMode(String mode, int fallback) {
        if (mode == null || !mode.matches("0?[0-7]{1,4}")) {
            return fallback;
        }
        return Integer.parseInt(mode, 8) & 01777;
    }

    /**
     * Gives a staged regular file its mtime, then its mode. In that order: both, done without following links, open
     * the file first, and a mode that denies its owner reading (0200, 0044, 0000) makes that open fail for a service
     * that is not root.
     */
    static void setMtimeThenMode(Path file, Instant mtime, int mode) throws IOException {
        setMtime(file, mtime);
        setMode(file, mode);
    }

    static void setMode(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    static void setMtime(Path p, Instant mtime) throws IOException {
        if (mtime != null) {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(mtime), null, null);
        }
    }
}
