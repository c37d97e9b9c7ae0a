package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest.MediaFile;
import java.io.IOException;
import java.io.InputStream;

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
public interface MediaContent {
    /** The decompressed, verifying content of {@code file}. */
    InputStream open(MediaFile file) throws IOException;

    /**
     * Where {@code file}'s content lies relative to the others', so that a restore opens them in stored order
     * (reads from object storage then share sequential requests); by default all equal, i.e. path order.
     */
    default long order(MediaFile file) {
        return 0;
    }

    /** Each file's own entry of {@code reader}'s archive, ordered by its offset in the archive. */
    static MediaContent of(ArchiveReader reader) {
        return new MediaContent() {
            @Override
            public InputStream open(MediaFile f) throws IOException {
                return reader.openEntry(f.entry());
            }

            @Override
            public long order(MediaFile f) {
                EntryInfo e = reader.manifest().entry(f.entry());
                return e == null ? Long.MAX_VALUE : e.offset();
            }
        };
    }
}
