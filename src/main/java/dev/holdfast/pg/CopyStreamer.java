package dev.holdfast.pg;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;

/**
 * Streams table data with {@code COPY ... TO STDOUT} into an {@link OutputStream} and back with
 * {@code COPY ... FROM STDIN}, through a fixed-size buffer: memory use does not depend on table size.
 *
 * <p>Row counts come from the server's {@code COPY n} command tag, which is exact in both formats (in
 * text format it also equals the number of {@code '\n'} bytes, since COPY escapes embedded newlines).
 */
public final class CopyStreamer {

    /** COPY's data format. */
    public enum Format {
        /** Portable across databases, servers and architectures, and readable by hand; every type has it. */
        TEXT,
        /**
         * The server parses no text on the way in, so restores load 15-25 % faster; it embeds type OIDs for
         * arrays and composites, which differ between databases, so it is used only for tables whose columns
         * allow it ({@link PgCatalog.Table#binaryCopy}).
         */
        BINARY;

        String option() {
            return this == BINARY ? " WITH (FORMAT binary)" : "";
        }
    }

    /** What one COPY moved: rows per the server's command tag, bytes as written or read. */
    public record CopyResult(long rows, long bytes) {}

    /**
     * A range of heap pages {@code [fromPage, toPage)}; {@code toPage < 0} means to the end of the table, so
     * the last range also covers pages added after it was planned.
     */
    public record CtidRange(long fromPage, long toPage) {

        public boolean openEnded() {
            return toPage < 0;
        }

        String predicate() {
            String lower = "ctid >= '(" + fromPage + ",0)'::tid";
            return openEnded() ? lower : lower + " AND ctid < '(" + toPage + ",0)'::tid";
        }
    }

    /** 64 KiB: measured to keep syscalls and compression calls cheap without adding memory per worker. */
    public static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

    private final int bufferSize;

    public CopyStreamer() {
        this(DEFAULT_BUFFER_SIZE);
    }

    public CopyStreamer(int bufferSize) {
        if (bufferSize < 512) {
            throw new IllegalArgumentException("buffer size must be at least 512 bytes");
        }
        this.bufferSize = bufferSize;
    }

    /** The statement {@link #copyOut} runs; exposed for manifests and for restoring by hand. */
    public static String copyOutSql(TableRef table, List<String> columns, Format format, CtidRange range) {
        if (range == null) {
            // COPY of a table name reads that table only, never inheritance children
            return "COPY " + table.sql() + " " + PgNames.columnList(columns) + " TO STDOUT" + format.option();
        }
        String cols = columns.isEmpty()
                ? "*"
                : String.join(", ", columns.stream().map(PgNames::quoteIdent).toList());
        return "COPY (SELECT " + cols + " FROM ONLY " + table.sql() + " WHERE " + range.predicate() + ") TO STDOUT"
                + format.option();
    }

    public static String copyInSql(TableRef table, List<String> columns, Format format) {
        return "COPY " + table.sql() + " " + PgNames.columnList(columns) + " FROM STDIN" + format.option();
    }

    /** Copies a whole table. The stream is flushed, not closed: it belongs to the caller. */
    public CopyResult copyOut(Connection c, TableRef table, List<String> columns, Format format, OutputStream out) {
        return copyOut(c, table, columns, format, null, out);
    }

    /**
     * Copies a table, or one page range of it. Binary output of each range is a complete COPY stream
     * with its own header and trailer, so ranges are separate entries, not concatenated.
     *
     * <p>When {@code out} fails the COPY is cancelled rather than drained (draining would read the rest of
     * a possibly huge table). The cancel request travels out of band and may still hit the connection's
     * next statement, so after a failure the connection must be closed, not reused.
     */
    public CopyResult copyOut(
            Connection c, TableRef table, List<String> columns, Format format, CtidRange range, OutputStream out) {
        String sql = copyOutSql(table, columns, format, range);
        CopyOut copy = null;
        try {
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            copy = cm.copyOut(sql);
            long bytes = 0;
            BufferedOutputStream buffered = new BufferedOutputStream(nonClosing(out), bufferSize);
            byte[] row;
            while ((row = copy.readFromCopy()) != null) {
                buffered.write(row);
                bytes += row.length;
            }
            buffered.flush();
            return new CopyResult(copy.getHandledRowCount(), bytes);
        } catch (SQLException e) {
            throw failure("COPY out of " + table, e);
        } catch (IOException e) {
            cancel(copy);
            throw new PgEngineException("Writing COPY data of " + table + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            cancel(copy);
            throw e;
        }
    }

    /** Loads text-format COPY data into a table. */
    public CopyResult copyIn(Connection c, TableRef table, List<String> columns, InputStream in) {
        return copyIn(c, table, columns, Format.TEXT, in);
    }

    /** Loads COPY data (as produced by {@link #copyOut} in the same format) into a table. */
    public CopyResult copyIn(Connection c, TableRef table, List<String> columns, Format format, InputStream in) {
        String sql = copyInSql(table, columns, format);
        CopyIn copy = null;
        try {
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            copy = cm.copyIn(sql);
            byte[] buf = new byte[bufferSize];
            long bytes = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n > 0) {
                    copy.writeToCopy(buf, 0, n);
                    bytes += n;
                }
            }
            long rows = copy.endCopy();
            return new CopyResult(rows, bytes);
        } catch (SQLException e) {
            cancel(copy);
            throw failure("COPY into " + table, e);
        } catch (IOException e) {
            cancel(copy);
            throw new PgEngineException("Reading COPY data for " + table + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            cancel(copy);
            throw e;
        }
    }

    /**
     * Splits a table into about {@code parts} page ranges of equal size for parallel copies; one open range
     * when the table is small or the server predates TID range scans (PostgreSQL 14), where a ctid predicate
     * would scan the whole table per range.
     *
     * @param minPagesPerRange below this many pages per range splitting costs more than it saves
     */
    public static List<CtidRange> pageRanges(Connection c, TableRef table, int parts, long minPagesPerRange) {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT pg_relation_size(?::regclass) / current_setting('block_size')::bigint,"
                        + " current_setting('server_version_num')::int")) {
            ps.setString(1, table.sql());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long pages = rs.getLong(1);
                int version = rs.getInt(2);
                int n = (int) Math.min(parts, pages / Math.max(1, minPagesPerRange));
                if (version < 140000 || n <= 1) {
                    return List.of(new CtidRange(0, -1));
                }
                List<CtidRange> ranges = new ArrayList<>(n);
                long step = (pages + n - 1) / n;
                for (int i = 0; i < n; i++) {
                    long from = i * step;
                    ranges.add(new CtidRange(from, i == n - 1 ? -1 : from + step));
                }
                return List.copyOf(ranges);
            }
        } catch (SQLException e) {
            throw failure("Sizing " + table, e);
        }
    }

    private static PgEngineException failure(String what, SQLException e) {
        if (PgCatalog.LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
            // The snapshot's own ACCESS SHARE lock is held, so the only way to wait here is behind a queued
            // ACCESS EXCLUSIVE request (DDL), which itself waits for the backup: fail instead of deadlocking.
            return new PgEngineException(
                    what
                            + " timed out waiting for a lock: concurrent DDL (ALTER, DROP, TRUNCATE, VACUUM FULL?) is queued"
                            + " on the table behind the backup. Retry when it is done. (" + e.getMessage() + ")",
                    e.getSQLState(),
                    e);
        }
        return new PgEngineException(what + " failed: " + e.getMessage(), e.getSQLState(), e);
    }

    private static void cancel(org.postgresql.copy.CopyOperation copy) {
        if (copy != null && copy.isActive()) {
            try {
                copy.cancelCopy();
            } catch (SQLException ignored) {
                // the original failure is what the caller needs to see
            }
        }
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
