package dev.holdfast.media;

import dev.holdfast.archive.Manifest.MediaFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The incremental half of a {@link MediaBackup}: decides for each file whether an earlier backup of the root already
 * holds its content, so that the manifest can name that backup ({@code stored_in}) instead of storing the bytes
 * again.
 *
 * <p>A file whose path, size, mtime, status-change time and inode all equal the earlier record is taken as
 * unchanged without being read (the kernel moves ctime on every write and every metadata change, and no
 * user-space call can set it back). Any other file whose size equals that of some earlier content is read once
 * and hashed, and referenced when its SHA-256 is known (a rename, a copy, a file rewritten with the same bytes);
 * only when it is not does the backup store it: a small file (a pack member) from the bytes read here, kept in a
 * {@link ReadAhead}, so that it is read and hashed once; a larger one by reading it again. With {@code rehash}, every
 * file takes the second path: nothing is trusted from metadata.
 */
final class MediaReuse {
    private final MediaIndex index;
    private final boolean rehash;
    private final AtomicLong hashedFiles = new AtomicLong();

    MediaReuse(MediaIndex index, boolean rehash) {
        this.index = index;
        this.rehash = rehash;
    }

    /** Files read only to find out whether their content was known (stored afterwards or not). */
    long hashedFiles() {
        return hashedFiles.get();
    }

    /**
     * A small file {@link #reuse} read whole into the worker's pack buffer, unchanged around the read, whose content
     * no earlier backup holds: the backup stores it from those bytes. One per worker, for the file it handles now.
     */
    static final class ReadAhead {
        private String path;
        private FileStat stat;
        private int length;
        private String sha256;

        boolean holds(String p) {
            return p.equals(path);
        }

        void clear() {
            path = null;
        }

        FileStat stat() {
            return stat;
        }

        int length() {
            return length;
        }

        String sha256() {
            return sha256;
        }
    }

    /**
     * The manifest record of {@code path} referring to the backup that holds its content, or null when it must be
     * stored (also when it changed or vanished while it was hashed: storing it then reports that as usual).
     *
     * @param walked the file's attributes when the walk met it
     * @param small a buffer of {@link MediaPackWriter#PACK_BELOW} bytes: a smaller file is read whole into it, and
     *     when its content is not known, {@code ahead} says so and the buffer holds it
     */
    MediaFile reuse(
            String path, Path file, FileStat walked, byte[] buf, byte[] small, ReadAhead ahead, Runnable checkpoint)
            throws IOException {
        ahead.clear();
        long size = walked.size();
        if (!rehash) {
            MediaIndex.Known k = index.unchanged(path, size, walked.mtime(), walked.ctime(), walked.ino());
            if (k != null) {
                return reference(path, k, walked);
            }
        }
        if (!index.hasSize(size)) {
            return null;
        }
        FileStat before;
        try {
            before = FileStat.of(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!before.regularFile() || before.size() != size) {
            return null;
        }
        MessageDigest sha = sha256();
        boolean whole = size < MediaPackWriter.PACK_BELOW;
        long read = 0;
        try (InputStream in = Channels.newInputStream(
                Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            if (whole) {
                read = MediaBackup.readUpTo(in, small, small.length);
                sha.update(small, 0, (int) read);
                checkpoint.run();
            } else {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    read += n;
                    checkpoint.run();
                }
            }
        } catch (NoSuchFileException e) {
            return null;
        }
        hashedFiles.incrementAndGet();
        FileStat after;
        try {
            after = FileStat.of(file);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (read != size || !after.unchangedSince(before)) {
            return null;
        }
        String hex = HexFormat.of().formatHex(sha.digest());
        MediaIndex.Known k = index.content(size, hex, path);
        if (k == null && whole) {
            ahead.path = path;
            ahead.stat = before;
            ahead.length = (int) read;
            ahead.sha256 = hex;
        }
        return k == null ? null : reference(path, k, before);
    }

    private static MediaFile reference(String path, MediaIndex.Known k, FileStat stat) {
        return new MediaFile(
                path,
                k.file().entry(),
                k.file().size(),
                MediaPaths.octal(stat.mode()),
                stat.mtime(),
                k.file().sha256(),
                k.holder(),
                stat.ino(),
                stat.ctime(),
                k.file().member(),
                k.file().memberOffset());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
