package dev.holdfast.backup;

import dev.holdfast.job.Progress;
import dev.holdfast.job.ProgressSink;
import java.util.HashMap;
import java.util.Map;

/**
 * A backup's copy progress over all its database sources: each source's latest counts, summed and handed on as one
 * {@code copy} phase. COPY workers report at once, so summing and handing on happen under one lock, which keeps the
 * reports in order.
 */
final class DatabaseCopyProgress implements DatabaseBackup.ProgressSink {
    private final ProgressSink progress;
    private final Map<String, long[]> perSource = new HashMap<>(); // only under this object's lock

    DatabaseCopyProgress(ProgressSink progress) {
        this.progress = progress;
    }

    @Override
    public synchronized void update(
            String source,
            long bytesDone,
            long bytesTotal,
            int tablesDone,
            int tablesTotal,
            String current,
            long rowsDone,
            long rowsTotal) {
        perSource.put(source, new long[] {bytesDone, bytesTotal, tablesDone, tablesTotal, rowsDone, rowsTotal});
        long bd = 0;
        long bt = 0;
        long id = 0;
        long it = 0;
        long rd = 0;
        long rt = 0;
        boolean rowsKnown = false;
        for (long[] v : perSource.values()) {
            bd += v[0];
            bt += v[1];
            id += v[2];
            it += v[3];
            rd += v[4];
            if (v[5] >= 0) {
                rt += v[5];
                rowsKnown = true;
            }
        }
        // Catalog sizes are estimates: never claim 100% before the archive is stored.
        Double percent = bt > 0 ? Math.min(95.0, 95.0 * bd / bt) : null;
        progress.progress(new Progress(
                "copy",
                percent,
                bd,
                bt,
                id,
                it,
                current == null ? null : source + ":" + current,
                null,
                "Copying tables of " + source,
                rd,
                rowsKnown ? Math.max(rt, rd) : null));
    }
}
