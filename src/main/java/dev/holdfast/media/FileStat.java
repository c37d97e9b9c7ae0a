package dev.holdfast.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

/**
 * What one {@code lstat} of a path says, as plain fields: the {@code unix:} attribute view's map held for every file
 * of a walk (20,000 of them until the manifest is written) was ten times the size, and every use unboxed it again.
 *
 * @param mode the whole {@code st_mode}: file type and permission bits
 * @param mtime the modification time
 * @param ctime the status-change time, which the kernel moves on every write and metadata change and no user-space
 *     call can set back
 */
record FileStat(int mode, long size, Instant mtime, Instant ctime, long ino) {
    private static final int TYPE = 0170000;

    /** The attributes of {@code p}, not following a final symbolic link. */
    static FileStat of(Path p) throws IOException {
        Map<String, Object> a =
                Files.readAttributes(p, "unix:mode,size,lastModifiedTime,ctime,ino", LinkOption.NOFOLLOW_LINKS);
        return new FileStat(
                (Integer) a.get("mode"),
                (Long) a.get("size"),
                ((FileTime) a.get("lastModifiedTime")).toInstant(),
                ((FileTime) a.get("ctime")).toInstant(),
                (Long) a.get("ino"));
    }

    /** The file type bits of {@link #mode} ({@code S_IFMT}). */
    int type() {
        return mode & TYPE;
    }

    boolean regularFile() {
        return type() == 0100000;
    }

    boolean directory() {
        return type() == 0040000;
    }

    boolean symbolicLink() {
        return type() == 0120000;
    }

    /**
     * Whether this later stat shows the file as it was at {@code before}: same size, mtime, ctime and inode. Any
     * write between the two moves ctime, so equal stats around a read mean the bytes read are one version.
     */
    boolean unchangedSince(FileStat before) {
        return size == before.size && ino == before.ino && mtime.equals(before.mtime) && ctime.equals(before.ctime);
    }
}
