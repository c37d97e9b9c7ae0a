package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.TableRef;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The progress of one restore's loads, told to its listener; updated from every loading connection, hence
 * synchronized.
 */
final class LoadProgress {

    private final RestoreProgress.Listener listener;
    private int tables;
    private long rowsTotal;
    private long bytesTotal;
    private long rowsDone;
    private long bytesDone;
    private int tablesDone;

    LoadProgress(RestoreProgress.Listener listener) {
        this.listener = listener == null ? RestoreProgress.Listener.none() : listener;
    }

    /** Sets the totals once the tables to load are known. */
    synchronized void plan(List<Manifest.TableEntry> load, ToLongFunction<Manifest.TableEntry> rawSize) {
        tables = load.size();
        for (Manifest.TableEntry t : load) {
            rowsTotal += t.rowCount();
            bytesTotal += rawSize.applyAsLong(t);
        }
    }

    synchronized void addBytes(long n) {
        bytesDone += n;
    }

    /** Counts one table as loaded with {@code rows} rows. */
    synchronized void tableLoaded(long rows) {
        rowsDone += rows;
        tablesDone++;
    }

    synchronized void update(String phase, Manifest.TableEntry table, long tableDone, long tableSize) {
        listener.update(new RestoreProgress(
                phase,
                table == null ? null : new TableRef(table.schema(), table.name()).dotted(),
                table == null ? 0 : table.rowCount(),
                tableDone,
                tableSize,
                tablesDone,
                tables,
                rowsDone,
                rowsTotal,
                bytesDone,
                bytesTotal));
    }
}
