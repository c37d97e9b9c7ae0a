package dev.holdfast.restore;

import java.time.Duration;
import java.util.List;

/**
 * What a restore did, or in a dry run what it would have done: per table rows loaded and removed,
 * sequences set, validation checks and any errors captured.
 *
 * @param source the archive's database source
 * @param mode the restore mode
 * @param dryRun whether the transaction was rolled back on purpose
 * @param committed whether the changes are in the target now
 * @param tables per table, in load order
 * @param sequences sequences set, with the values they were set to
 * @param validation every check run after the load
 * @param errors what went wrong (dry runs collect these instead of stopping at the first)
 * @param rowsLoaded rows over all tables
 * @param bytesLoaded decompressed COPY bytes over all tables
 * @param duration wall time from pre-flight to commit or rollback
 * @param path {@code single-transaction} (one transaction on the target) or {@code staging-database} (a fresh
 *     database loaded over several connections and renamed into place)
 * @param parallelConnections connections that loaded the data (1 for a single transaction)
 */
public record RestoreReport(
        String source,
        RestoreOptions.Mode mode,
        boolean dryRun,
        boolean committed,
        List<TableResult> tables,
        List<SequenceResult> sequences,
        List<Check> validation,
        List<String> errors,
        long rowsLoaded,
        long bytesLoaded,
        Duration duration,
        String path,
        int parallelConnections) {

    /** The restore ran as one transaction on the target. */
    public static final String SINGLE_TRANSACTION = "single-transaction";

    /** The restore ran in a staging database that was renamed into place. */
    public static final String STAGING_DATABASE = "staging-database";

    public RestoreReport {
        tables = List.copyOf(tables);
        sequences = List.copyOf(sequences);
        validation = List.copyOf(validation);
        errors = List.copyOf(errors);
    }

    /** Whether every validation check passed and nothing failed. */
    public boolean ok() {
        return errors.isEmpty() && validation.stream().allMatch(Check::passed);
    }

    /**
     * One table.
     *
     * @param rowsExpected the manifest's row count
     * @param rowsLoaded rows COPY loaded
     * @param rowsRemoved rows the table held before (emptied by TRUNCATE or dropped with the table)
     * @param bytes decompressed COPY bytes read
     * @param error the error loading this table, or null
     */
    public record TableResult(
            String schema,
            String name,
            long rowsExpected,
            long rowsLoaded,
            long rowsRemoved,
            long bytes,
            String error) {}

    /**
     * One sequence set from the manifest.
     *
     * @param ownedBy {@code schema.table.column}, or null
     * @param columnMax the largest value of the owning column after the load, or null
     */
    public record SequenceResult(
            String schema, String name, long lastValue, boolean isCalled, String ownedBy, Long columnMax) {}

    /**
     * One validation check.
     *
     * @param kind {@code row-count}, {@code foreign-key} or {@code sequence}
     * @param subject the table, constraint or sequence checked
     */
    public record Check(String kind, String subject, boolean passed, String detail) {}
}
