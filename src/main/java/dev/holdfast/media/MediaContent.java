package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.ReferencedArchives;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a media restore gets each restored file's bytes: by default the entry of the archive being restored,
 * and the seam through which a file stored in another archive can be read instead.
 *
 * <p>{@link MediaStaging} calls {@link #open} once per file from one thread, in {@link #order} (for an archive, its
 * entry order); each returned stream is then read to its end and closed on one of its worker threads,
 * so up to a few streams are open and read at once (each by one thread). The stream must verify what it returns: reaching
 * the end of damaged content throws (an {@link dev.holdfast.archive.ArchiveException} is reported as a
 * verification failure naming the file) rather than returning end of stream, as
 * {@link ArchiveReader#openEntry} does.
 */
@FunctionalInterface
public interface MediaContent extends java.io.Closeable {
    /** The decompressed, verifying content of {@code file}. */
    InputStream open(MediaFile file) throws IOException;

    /** Releases what reading kept open (a pack being read); called once the restore has read every file. */
    @Override
    default void close() throws IOException {}

    /**
     * Where {@code file}'s content lies relative to the others', so that a restore opens them in stored order
     * (reads from object storage then share sequential requests); by default all equal, i.e. path order.
     */
    default long order(MediaFile file) {
        return 0;
    }

    /**
     * Among files of equal {@link #order}, where {@code file} lies: for the members of one pack, their offset in it, so
     * that the pack is read once front to back; by default all equal.
     */
    default long orderWithin(MediaFile file) {
        return 0;
    }

    /** Each file's own entry of {@code reader}'s archive, ordered by its offset in the archive. */
    static MediaContent of(ArchiveReader reader) {
        return of(reader, ReferencedArchives.none());
    }

    /**
     * Each file's entry in the archive that holds it: {@code reader}'s, or for a file with {@code stored_in} the
     * entry of that backup's archive from {@code references}. Ordered archive by archive (this one first, the others
     * as first met), by offset within each, so that every archive is read front to back.
     */
    static MediaContent of(ArchiveReader reader, ReferencedArchives references) {
        Map<String, Long> rank = new ConcurrentHashMap<>();
        MediaPackReader packs = new MediaPackReader();
        return new MediaContent() {
            @Override
            public InputStream open(MediaFile f) throws IOException {
                ArchiveReader holder = f.storedIn() == null ? reader : references.open(f.storedIn());
                return f.packed() ? packs.open(holder, f) : holder.openEntry(f.entry());
            }

            @Override
            public void close() throws IOException {
                packs.close();
            }

            @Override
            public long orderWithin(MediaFile f) {
                return f.packed() ? f.memberOffset() : 0;
            }

            @Override
            public long order(MediaFile f) {
                try {
                    ArchiveReader holder = f.storedIn() == null ? reader : references.open(f.storedIn());
                    EntryInfo e = holder.manifest().entry(f.entry());
                    if (e == null) {
                        return Long.MAX_VALUE;
                    }
                    long r = f.storedIn() == null ? 0 : rank.computeIfAbsent(f.storedIn(), k -> (long) rank.size() + 1);
                    // 2^48 bytes per archive is far above any archive's size limit.
                    return (r << 48) | Math.min(e.offset(), (1L << 48) - 1);
                } catch (IOException e) {
                    return Long.MAX_VALUE; // MediaChecks has refused an unreadable holder before anything is ordered
                }
            }
        };
    }
}
