package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.Manifest.MediaDirectory;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.Manifest.MediaSymlink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Helpers for media tests: archives on disk, crafted sections and tree snapshots. */
public final class MediaTestSupport {
    static final Instant T = Instant.parse("2024-03-01T10:00:00Z");

    private MediaTestSupport() {}

    interface WriterBody {
        MediaBackup.Result run(ArchiveWriter w) throws IOException;
    }

    /** Backs {@code root} up as source {@code u} into {@code archive}. */
    static MediaBackup.Result backup(MediaBackup backup, Path archive) throws IOException {
        return write(archive, backup::run);
    }

    static MediaBackup.Result write(Path archive, WriterBody body) throws IOException {
        Path spool = archive.resolveSibling(archive.getFileName() + ".spool");
        try (OutputStream out = Files.newOutputStream(archive);
                ArchiveWriter w = new ArchiveWriter(out, ArchiveWriter.Options.defaults(spool, Long.MAX_VALUE))) {
            MediaBackup.Result r = body.run(w);
            w.finish(Manifest.of("b-1", "test", "media", T).withMedia(List.of(r.section())));
            return r;
        }
    }

    /** A hand-made section for crafted archives: files with the given content, links and directories as given. */
    static Path crafted(Path archive, Map<String, String> files, List<MediaSymlink> links, List<MediaDirectory> dirs)
            throws IOException {
        write(archive, w -> {
            List<MediaFile> mf = new ArrayList<>();
            int n = 0;
            for (Map.Entry<String, String> e : files.entrySet()) {
                byte[] data = e.getValue().getBytes(StandardCharsets.UTF_8);
                EntryInfo info = w.addEntry(
                        "media/u/files/f" + n++, EntryInfo.KIND_MEDIA_FILE, Codec.NONE, new ByteArrayInputStream(data));
                mf.add(new MediaFile(e.getKey(), info.name(), data.length, "0644", T, info.sha256()));
            }
            MediaSection s = new MediaSection("u", mf, dirs, links, List.of(), Map.of());
            return new MediaBackup.Result(s, List.of(), List.of(), mf.size(), 0, 0, 0, 0, 0);
        });
        return archive;
    }

    static ArchiveReader open(Path archive) throws IOException {
        return ArchiveReader.open(archive);
    }

    /** Every path below {@code root} with type, mode, mtime (seconds) and content digest or link target. */
    public static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                out.put(rel(dir), "dir " + meta(dir));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isSymbolicLink()) {
                    out.put(rel(file), "link -> " + Files.readSymbolicLink(file) + " " + mtime(file));
                } else if (attrs.isRegularFile()) {
                    out.put(rel(file), "file " + meta(file) + " " + attrs.size() + " " + sha(file));
                } else {
                    out.put(rel(file), "other");
                }
                return FileVisitResult.CONTINUE;
            }

            private String rel(Path p) {
                String r = root.relativize(p).toString();
                return r.isEmpty() ? "." : r;
            }
        });
        return out;
    }

    private static String meta(Path p) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return String.format("%04o", mode & 07777) + " " + mtime(p);
    }

    private static long mtime(Path p) throws IOException {
        return ((FileTime) Files.getAttribute(p, "lastModifiedTime", LinkOption.NOFOLLOW_LINKS))
                .toInstant()
                .getEpochSecond();
    }

    static String sha(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Names in {@code dir} left by a restore (staging or previous trees). */
    static List<String> leftovers(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.contains(".holdfast-"))
                    .toList();
        }
    }

    static void setMtime(Path p, Instant t) throws IOException {
        Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(t), null, null);
    }
}
