package dev.holdfast.restore;

/**
 * How far a restore has come, per table and overall; byte figures are decompressed COPY bytes.
 *
 * @param phase {@code verify}, {@code prepare}, {@code schema}, {@code load}, {@code post-data},
 *     {@code validate}, {@code commit} or {@code rollback}
 * @param table the table being loaded, {@code schema.name}, or null between tables
 * @param tableRowsExpected the table's row count per the manifest
 * @param tableBytesDone bytes of the current table loaded so far
 * @param tableBytesTotal the current table's size
 * @param tablesDone tables loaded completely
 * @param tablesTotal tables to load
 * @param rowsDone rows of completed tables
 * @param rowsTotal rows to load per the manifest
 * @param bytesDone bytes loaded over all tables
 * @param bytesTotal bytes to load over all tables
 */
public record RestoreProgress(
        String phase,
        String table,
        long tableRowsExpected,
        long tableBytesDone,
        long tableBytesTotal,
        int tablesDone,
        int tablesTotal,
        long rowsDone,
        long rowsTotal,
        long bytesDone,
        long bytesTotal) {

    /** Receives progress; called on the restoring thread, so it must return quickly. */
    @FunctionalInterface
    public interface Listener {
        void update(RestoreProgress progress);

        static Listener none() {
            return p -> {};
        }
    }
}
