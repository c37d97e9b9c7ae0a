package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.TableRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one restore found and did so far (rows loaded and removed per table, checks, errors, the path it took),
 * from which its {@link RestoreReport} is made. Loads of a staged restore record here from several threads.
 */
final class RestoreOutcome {

    private final List<String> errors = new ArrayList<>();
    private final List<RestoreReport.Check> checks = new ArrayList<>();
    private final Map<TableRef, long[]> loaded = new LinkedHashMap<>(); // rows, bytes
    private final Map<TableRef, Long> removed = new HashMap<>();
    private final Map<TableRef, String> tableErrors = new HashMap<>();
    private String path = RestoreReport.SINGLE_TRANSACTION;
    private int parallel = 1;

    synchronized void path(String path, int parallel) {
        this.path = path;
        this.parallel = parallel;
    }

    synchronized void error(String error) {
        errors.add(error);
    }

    synchronized void check(RestoreReport.Check check) {
        checks.add(check);
    }

    /** The error of loading {@code table}, replacing any before. */
    synchronized void loadError(TableRef table, String error) {
        tableErrors.put(table, error);
    }

    /** Another error of a step on {@code table}, after any before. */
    synchronized void stepError(TableRef table, String error) {
        tableErrors.merge(table, error, (a, b) -> a + "; " + b);
    }

    synchronized void removed(TableRef table, long rows) {
        removed.put(table, rows);
    }

    /** Rows and bytes loaded into {@code table}. */
    synchronized void loaded(TableRef table, long[] rowsAndBytes) {
        loaded.put(table, rowsAndBytes);
    }

    synchronized long rowsLoaded(TableRef table) {
        return loaded.getOrDefault(table, new long[2])[0];
    }

    /** No errors and every check passed. */
    synchronized boolean passed() {
        return errors.isEmpty() && checks.stream().allMatch(RestoreReport.Check::passed);
    }

    synchronized RestoreReport report(
            RestoreContext ctx,
            List<Manifest.TableEntry> load,
            List<RestoreReport.SequenceResult> sequences,
            boolean committed) {
        List<RestoreReport.TableResult> tables = new ArrayList<>();
        long rows = 0;
        long bytes = 0;
        for (Manifest.TableEntry te : load) {
            TableRef r = RestoreContext.ref(te);
            long[] l = loaded.getOrDefault(r, new long[2]);
            rows += l[0];
            bytes += l[1];
            tables.add(new RestoreReport.TableResult(
                    r.schema(), r.name(), te.rowCount(), l[0], removed.getOrDefault(r, 0L), l[1], tableErrors.get(r)));
        }
        RestoreOptions options = ctx.options();
        return new RestoreReport(
                ctx.section().source(),
                options.mode(),
                options.dryRun(),
                committed,
                tables,
                sequences,
                checks,
                errors,
                rows,
                bytes,
                Duration.ofNanos(ctx.phases().elapsedNanos()),
                path,
                parallel);
    }

    /** The errors and failed checks of {@code report}, for an exception's message. */
    static String describeFailures(RestoreReport report) {
        List<String> all = new ArrayList<>(report.errors());
        report.validation().stream()
                .filter(ch -> !ch.passed())
                .forEach(ch -> all.add(ch.kind() + " check of " + ch.subject() + " failed: " + ch.detail()));
        return String.join("; ", all);
    }
}
