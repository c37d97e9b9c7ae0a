package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest.MediaFile;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where a media restore gets each restored file's bytes: by default the entry of the archive being restored,
 * and the seam through which a file stored in another archive can be read instead.
 *
 * <p>{@link MediaStaging} calls {@link #open} once per file from one thread, in the selection's path order (the
 * archive's entry order); each returned stream is then read to its end and closed on one of its worker threads,
 * so up to a few streams are open and read at once (each by one thread). The stream must verify what it returns: reaching
 * the end of damaged content throws (an {@link dev.holdfast.archive.ArchiveException} is reported as a
 * verification failure naming the file) rather than returning end of stream, as
 * {@link ArchiveReader#openEntry} does.
 */
@FunctionalInterface
public interface MediaContent {
    /** The decompressed, verifying content of {@code file}. */
    InputStream open(MediaFile file) throws IOException;

    /** Each file's own entry of {@code reader}'s archive. */
    static MediaContent of(ArchiveReader reader) {
        return f -> reader.openEntry(f.entry());
    }
}
