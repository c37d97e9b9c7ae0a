package dev.holdfast.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * An archive being written: bytes go to {@link #stream()}, and only {@link #commit()} makes them visible,
 * durably; closing without commit aborts, so a failed backup never leaves a half-written archive.
 */
public interface WritableArchive extends Closeable {
    /** The key the archive will have. */
    String key();

    /** Where the archive's bytes go; closing it does not commit. */
    OutputStream stream();

    /** Bytes written so far. */
    long bytesWritten();

    /**
     * Makes the bytes written so far durable without publishing them (a local file: fsync). Optional: commit
     * does it anyway; calling it first lets a caller overlap the wait with other work.
     */
    default void sync() throws IOException {}

    /**
     * Reads back the bytes written so far, before {@link #commit()}, from where they are stored, so an
     * archive can be checked before it becomes visible. Backends that cannot read uncommitted data return
     * empty.
     */
    default java.util.Optional<InputStream> readBack() throws IOException {
        return java.util.Optional.empty();
    }

    /**
     * The SHA-256 (lower-case hex) of every byte written, once {@link #commit()} returned, when the backend takes
     * it while uploading; a backend that cannot {@link #readBack()} offers it so that the committed archive read
     * back from storage can be compared with what was sent. Empty by default.
     */
    default java.util.Optional<String> sha256() {
        return java.util.Optional.empty();
    }

    /**
     * Makes the archive durable and visible under its key (for a local file: fsync, atomic rename without
     * replacing, fsync of the directory). After a failure nothing is visible and the temp data is gone.
     */
    void commit() throws IOException;

    /** Discards everything written; idempotent, and a no-op after commit. */
    void abort();

    /** Aborts unless committed. */
    @Override
    default void close() {
        abort();
    }
}
