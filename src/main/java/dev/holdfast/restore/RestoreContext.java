package dev.holdfast.restore;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.pg.TableRef;
import java.sql.SQLException;

/**
 * What one database restore is given, fixed for its whole run, and the three trackers every strategy shares:
 * its cancellation, its phase timer and its load progress (each thread-safe where several connections use it).
 *
 * @param parallelism connections and threads the restore may use at once (loading a staging database, checking
 *     archive entries); from {@code holdfast.copy.parallelism}
 */
record RestoreContext(
        ArchiveReader archive,
        Manifest.DatabaseSection section,
        PgConnectionInfo target,
        RestoreOptions options,
        ConnectionFactory connections,
        PgTools tools,
        int parallelism,
        Cancellation cancellation,
        PhaseTimer phases,
        LoadProgress progress) {

    /** Throws when the restore is cancelled or stopping; see {@link Cancellation#check}. */
    void checkpoint() {
        cancellation.check();
    }

    void lap(String phase) {
        phases.lap(phase);
    }

    void progress(String phase, Manifest.TableEntry table, long tableDone, long tableSize) {
        progress.update(phase, table, tableDone, tableSize);
    }

    /** The uncompressed size of a table's entry, 0 if the manifest does not list it. */
    long rawSize(Manifest.TableEntry t) {
        EntryInfo info = archive.manifest().entry(t.entry());
        return info == null ? 0 : info.rawSize();
    }

    /** The caller's cancellation unchanged, a refusal as it is, anything else as a rolled-back failure. */
    RuntimeException failure(Exception e) {
        RuntimeException cancelled = cancellation.causing(e);
        if (cancelled != null) {
            return cancelled;
        }
        if (e instanceof RestoreException re) {
            return re;
        }
        String message = e instanceof SQLException sql && sql.getSQLState() != null
                ? sql.getMessage() + " (SQLSTATE " + sql.getSQLState() + ")"
                : e.getMessage();
        return new RestoreException(
                "Restore of " + section.source() + " failed and was rolled back, the target" + " is unchanged: "
                        + message,
                e);
    }

    static TableRef ref(Manifest.TableEntry t) {
        return new TableRef(t.schema(), t.name());
    }
}
