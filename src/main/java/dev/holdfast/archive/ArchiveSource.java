package dev.holdfast.archive;

import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.storage.ChannelRangeInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Random access to a stored archive's bytes, so one entry can be read without reading those before it;
 * a local file, or ranged reads of any {@code ArchiveStorage}.
 */
public interface ArchiveSource {
    /** Total bytes. */
    long size() throws IOException;

    /** A stream of {@code length} bytes from {@code offset}; its {@code skip} should seek where it can. */
    InputStream open(long offset, long length) throws IOException;

    /**
     * An archive in any storage backend, read with ranged reads; where each request is costly (object storage:
     * {@link ArchiveStorage#cheapRangedReads()} false) small reads in increasing order share sequential requests
     * ({@link CoalescingArchiveSource}: pieces up to 4 MiB, gaps up to 1 MiB, 32 MiB per request).
     */
    static ArchiveSource of(ArchiveStorage storage, String key) {
        ArchiveSource ranged = ranged(storage, key);
        return storage.cheapRangedReads() ? ranged : new CoalescingArchiveSource(ranged, 4 << 20, 1 << 20, 32 << 20);
    }

    private static ArchiveSource ranged(ArchiveStorage storage, String key) {
        return new ArchiveSource() {
            @Override
            public long size() throws IOException {
                return storage.size(key);
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                return storage.open(key, offset, length);
            }

            @Override
            public String toString() {
                return key;
            }
        };
    }

    /** A local file. */
    static ArchiveSource of(Path file) {
        return new ArchiveSource() {
            @Override
            public long size() throws IOException {
                return Files.size(file);
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                return new ChannelRangeInputStream(file, offset, length);
            }

            @Override
            public String toString() {
                return file.toString();
            }
        };
    }
}
