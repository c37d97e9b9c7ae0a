/**
 * The PostgreSQL engine: plain Java over JDBC (pgjdbc) and the pg_dump/pg_restore binaries, no CDI, so
 * the backup and restore services wire it up and tests drive it directly.
 *
 * <p>A database backup runs: {@link dev.holdfast.pg.SnapshotSession#begin} (REPEATABLE READ, exported
 * snapshot, lock_timeout) → {@link dev.holdfast.pg.PgCatalog#read} on the coordinator →
 * {@link dev.holdfast.pg.Selection#apply} → {@link dev.holdfast.pg.SnapshotSession#lockTables} →
 * {@link dev.holdfast.pg.PgTools#dumpSchema} with the snapshot id, and per data table (largest first,
 * {@link dev.holdfast.pg.FkGraph#dumpOrder}) {@link dev.holdfast.pg.CopyStreamer#copyOut} on a worker from
 * {@link dev.holdfast.pg.SnapshotSession#openWorkers} → close the session. The manifest records
 * {@link dev.holdfast.pg.FkGraph#restoreOrder()}, its cycles and the catalog's sequences.
 *
 * <p>COPY format: binary where the column types allow it ({@link dev.holdfast.pg.PgCatalog.Table#binaryCopy}),
 * text for the rest, per table in the manifest; {@code holdfast.copy.format=text} writes text only. Measured
 * on 287 MB of app-like tables (ints, text, jsonb, numeric, timestamptz, bytea; {@code CopyFormatBenchmarkTest}):
 * text 244 MB raw, 53.2 MB after zstd -3 in 2.2-2.4 s; binary 242 MB raw, 66.8 MB after zstd -3 in
 * 1.3-2.2 s; pg_dump -Fc of the same tables 56.4 MB in 8.3 s. Text was the first choice (smallest archive); binary won because
 * restoring is what a backup is for: loading binary takes the server 15-25 % less time than parsing text
 * (server-side COPY of the benchmark's 480 MB of table data: 3.3-4.5 s vs 4.6-5.4 s), which moved both
 * restore modes in the benchmark from 1.26-1.31x of pg_restore to 1.04-1.14x; backups also get faster.
 * Page-range splitting of one table over two workers did not pay on a 2-core machine (0.64x raw, 0.93x with zstd): a single COPY already keeps one
 * core busy in the server and one in the client, so split only when cores are idle.
 */
package dev.holdfast.pg;
