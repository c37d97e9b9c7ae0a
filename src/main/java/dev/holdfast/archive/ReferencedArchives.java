package dev.holdfast.archive;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens the archives that hold the contents an incremental archive's media files refer to ({@code stored_in}: a
 * backup id). Implementations check that the archive they open is that backup's ({@link #open} compares the
 * manifest's {@code backup_id}), so that a mix-up of files is refused rather than restored.
 */
@FunctionalInterface
public interface ReferencedArchives {
    /**
     * A reader of backup {@code backupId}'s archive.
     *
     * @throws IOException (or an {@link ArchiveException}) naming the backup when its archive is not available
     */
    ArchiveReader open(String backupId) throws IOException;

    /** For self-contained archives: any reference is refused, naming the backup it needs. */
    static ReferencedArchives none() {
        return id -> {
            throw new CorruptArchiveException("the archive refers to backup " + id
                    + " for some media files, and no other archive is available here");
        };
    }

    /**
     * Opens each archive once with {@code opener} and checks that its manifest is the backup's; later calls (from any
     * thread) share the reader, whose entries may be read concurrently.
     */
    static ReferencedArchives caching(ReferencedArchives opener) {
        Map<String, ArchiveReader> open = new ConcurrentHashMap<>();
        return id -> {
            ArchiveReader r = open.get(id);
            if (r != null) {
                return r;
            }
            synchronized (open) {
                r = open.get(id);
                if (r == null) {
                    r = opener.open(id);
                    if (!id.equals(r.manifest().backupId())) {
                        throw new CorruptArchiveException("the archive opened for backup " + id + " is backup "
                                + r.manifest().backupId() + "'s; refused");
                    }
                    open.put(id, r);
                }
                return r;
            }
        };
    }
}
