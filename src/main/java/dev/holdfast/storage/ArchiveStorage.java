package dev.holdfast.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where finished archives live, by key; the engine only sees this interface, so object storage can be
 * added beside the local filesystem without touching it.
 */
public interface ArchiveStorage {
    /**
     * Starts writing a new archive under {@code key}. Nothing is visible under the key until
     * {@link WritableArchive#commit()} returns; an existing key is never overwritten.
     */
    WritableArchive create(String key) throws IOException;

    /** Reads a whole archive; {@link java.nio.file.NoSuchFileException} when there is none. */
    InputStream open(String key) throws IOException;

    /** Reads {@code length} bytes from {@code offset}; the range must lie inside the archive. */
    InputStream open(String key, long offset, long length) throws IOException;

    /** The archive's size in bytes. */
    long size(String key) throws IOException;

    /** Whether a committed archive exists under {@code key}. */
    boolean exists(String key) throws IOException;

    /** Deletes the archive; deleting a missing key is not an error. */
    void delete(String key) throws IOException;

    /** Keys of all committed archives, sorted. */
    List<String> keys() throws IOException;

    /** Bytes taken by committed archives. */
    long usedBytes() throws IOException;

    /** Bytes still available to new archives, when the backend has such a limit. */
    OptionalLong freeBytes() throws IOException;

    /**
     * Whether a ranged read costs little more than reading the same bytes in a longer sequential read (a local
     * file: yes; object storage, where each is a request: no). Readers of many small pieces coalesce them when not.
     */
    default boolean cheapRangedReads() {
        return false;
    }

    /** Size of the space archives live in (the filesystem's size), when the backend has such a limit. */
    default OptionalLong capacityBytes() throws IOException {
        return OptionalLong.empty();
    }

    /**
     * Checks that archives can be stored now (readiness); throws with the reason when not. By default a probe
     * archive is written and aborted; a backend with a cheaper check (an object store's HeadBucket) overrides it.
     */
    default void probe() throws IOException {
        try (WritableArchive probe = create("readiness-probe-"
                + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId())) {
            probe.stream().write("ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            probe.abort();
        }
    }

    /**
     * Removes what an interrupted write of {@code key} left behind (a process killed mid-backup cannot
     * abort its own write); the instance that records the failure calls it.
     */
    void discardPartial(String key) throws IOException;
}
