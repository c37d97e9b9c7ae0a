package dev.holdfast.drill;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.media.MediaProgress;
import dev.holdfast.media.MediaRestore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Media drills: a backup's media root restored with the media restore engine into a drill's scratch directory,
 * then every file read back and its SHA-256 and size compared with the manifest, independently of the engine's own
 * checks while extracting. Also the scratch directory's safety rule and its sweep.
 */
public final class DrillMedia {
    /** One media root's drill result. */
    public record MediaCheck(String source, long files, long bytes, boolean ok, String error) {}

    private DrillMedia() {}

    /**
     * Refuses a scratch directory that is, is inside or holds a configured media root: removing a drill's tree
     * there could remove real files.
     *
     * @throws IllegalStateException naming the root
     */
    public static Path checkScratchDir(Path scratchDir, Collection<Path> mediaRoots) {
        Path dir = real(scratchDir);
        for (Path root : mediaRoots) {
            Path r = real(root);
            if (dir.startsWith(r) || r.startsWith(dir)) {
                throw new IllegalStateException("holdfast.drills.scratch-dir " + dir + " is, is inside or holds the"
                        + " media root " + r + "; choose a directory apart from every media root");
            }
        }
        return dir;
    }

    /** An absolute path with every existing ancestor's links resolved, so a link cannot hide an overlap. */
    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
        } catch (IOException e) {
            return abs;
        }
    }

    /**
     * Restores media section {@code section} of {@code reader} into {@code target} (which must not exist) and checks
     * every file against the manifest; files of an incremental backup stored in other archives are read from
     * {@code references}.
     */
    public static MediaCheck drill(
            ArchiveReader reader,
            Manifest.MediaSection section,
            Path target,
            MediaProgress.Listener progress,
            Runnable checkpoint,
            dev.holdfast.archive.ReferencedArchives references)
            throws IOException {
        String source = section.source();
        try {
            MediaRestore.of(reader, source, target)
                    .references(references)
                    .fsync(false)
                    .progress(progress)
                    .checkpoint(checkpoint)
                    .run();
        } catch (IOException | RuntimeException e) {
            if (e instanceof dev.holdfast.job.JobCancelledException) {
                throw e;
            }
            return new MediaCheck(source, 0, 0, false, "media " + source + ": " + message(e));
        }
        return verify(section, target, checkpoint);
    }

    /** Reads back every file of {@code section} under {@code root}: present, regular, its size and SHA-256. */
    static MediaCheck verify(Manifest.MediaSection section, Path root, Runnable checkpoint) throws IOException {
        long files = 0;
        long bytes = 0;
        List<String> failures = new ArrayList<>();
        byte[] buf = new byte[1 << 16];
        for (Manifest.MediaFile f : section.files()) {
            checkpoint.run();
            Path p = root.resolve(f.path());
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                failures.add("file '" + f.path() + "' is missing");
                continue;
            }
            MessageDigest sha = sha256();
            long size = 0;
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    sha.update(buf, 0, n);
                    size += n;
                }
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            if (size != f.size() || !hex.equals(f.sha256())) {
                failures.add("file '" + f.path() + "' holds " + size + " bytes with SHA-256 " + hex + ", the backup"
                        + " recorded " + f.size() + " bytes with " + f.sha256());
                continue;
            }
            files++;
            bytes += size;
        }
        return new MediaCheck(
                section.source(),
                files,
                bytes,
                failures.isEmpty(),
                failures.isEmpty() ? null : "media " + section.source() + ": " + String.join("; ", failures));
    }

    /**
     * Removes the drill directories in {@code scratchDir} (named like scratch databases) whose drill {@code ended}
     * says is over; anything else there is left alone.
     *
     * @return the directories removed
     */
    public static List<Path> sweep(Path scratchDir, ScratchTargets names, Predicate<UUID> ended) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(scratchDir)) {
            return removed;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(scratchDir)) {
            for (Path e : entries) {
                UUID drill = names.drillOf(e.getFileName().toString());
                if (drill != null && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) && ended.test(drill)) {
                    MediaRestore.deleteTree(e);
                    removed.add(e);
                }
            }
        }
        return removed;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
