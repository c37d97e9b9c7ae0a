package dev.holdfast.backup;

import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.EntryBuilder;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.EntryNames;
import dev.holdfast.archive.Manifest;
import dev.holdfast.job.StopSignal;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.CopyStreamer;
import dev.holdfast.pg.FkGraph;
import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgEngineException;
import dev.holdfast.pg.PgTools;
import dev.holdfast.pg.Selection;
import dev.holdfast.pg.SnapshotSession;
import dev.holdfast.pg.TableRef;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Backs up one database into an open archive: one exported snapshot shared by the schema dump and
 * by parallel COPY workers (largest tables first), each table streamed through compression and
 * SHA-256 into its own entry. Returns the manifest section describing what was written.
 */
public class DatabaseBackup {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(DatabaseBackup.class);

    /**
     * Receives progress: raw bytes copied so far, tables finished, and rows of the finished tables against the
     * server's estimate of all rows ({@code rowsTotal} -1 when no table was ever analyzed).
     */
    public interface ProgressSink {
        void update(
                String source,
                long bytesDone,
                long bytesTotal,
                int tablesDone,
                int tablesTotal,
                String current,
                long rowsDone,
                long rowsTotal);
    }

    private final ConnectionFactory connections;
    private final PgTools tools;
    private final int parallelism;
    private final Duration lockTimeout;
    private Duration coordinatorCheck = Duration.ofSeconds(1);
    private final CopyStreamer copy = new CopyStreamer();
    private CopyStreamer.Format preferredFormat = CopyStreamer.Format.BINARY;
    private Clock clock = Clock.systemUTC();

    public DatabaseBackup(ConnectionFactory connections, PgTools tools, int parallelism, Duration lockTimeout) {
        this.connections = connections;
        this.tools = tools;
        this.parallelism = Math.max(1, parallelism);
        this.lockTimeout = lockTimeout;
    }

    /**
     * Sets the COPY format of table data: {@code BINARY} (the default) for every table whose columns it carries
     * portably ({@link PgCatalog.Table#binaryCopy}), text for the others; {@code TEXT} for all.
     *
     * @return this engine
     */
    public DatabaseBackup copyFormat(CopyStreamer.Format format) {
        this.preferredFormat = format;
        return this;
    }

    /**
     * Sets the clock that dates the snapshot in the manifest (default the system clock; the service passes its
     * TimeSource's).
     *
     * @return this engine
     */
    public DatabaseBackup clock(Clock clock) {
        this.clock = clock;
        return this;
    }

    /**
     * Sets how often the snapshot session is checked while tables are copied (default 1 s): the longest a
     * backup goes on copying after its locks were lost, before it stops.
     *
     * @return this engine
     */
    public DatabaseBackup coordinatorCheck(Duration interval) {
        this.coordinatorCheck = interval;
        return this;
    }

    private CopyStreamer.Format formatOf(PgCatalog.Table t) {
        return preferredFormat == CopyStreamer.Format.BINARY && t.binaryCopy()
                ? CopyStreamer.Format.BINARY
                : CopyStreamer.Format.TEXT;
    }

    private static String formatName(CopyStreamer.Format format) {
        return format == CopyStreamer.Format.BINARY ? "binary" : "text";
    }

    /** Dumps the source into {@code writer} and returns its manifest section. */
    public Manifest.DatabaseSection run(
            String source,
            PgConnectionInfo db,
            Selection selection,
            Codec codec,
            ArchiveWriter writer,
            StopSignal ctx,
            ProgressSink progress)
            throws Exception {
        // Long on purpose: the phases of one database backup in order (catalog, selection, snapshot, locks, copy,
        // check), each a call.
        long t0 = System.nanoTime();
        try (SnapshotSession session = SnapshotSession.begin(connections, db, lockTimeout)) {
            Instant snapshotTime = clock.instant();
            Connection coord = session.coordinator();
            PgCatalog catalog = PgCatalog.read(coord);
            String serverVersion = queryString(coord, "SHOW server_version");
            // The client tools of the server's major where several are installed (newer ones dump older servers).
            PgTools serverTools = tools.forServer(catalog.serverVersionNum());
            PgTools.ToolVersion pgDump = serverTools.pgDumpVersion();
            Selection.Result selected = selection.apply(catalog);
            session.lockTables(selected.tableRefs());
            Map<TableRef, Long> rows = new ConcurrentHashMap<>();
            Map<TableRef, String> entries = new ConcurrentHashMap<>();
            ctx.checkpoint();
            LOG.infof(
                    "Database %s: snapshot %s, catalog read and %d tables locked in %d ms",
                    source, session.snapshotId(), selected.tables().size(), (System.nanoTime() - t0) / 1_000_000);

            List<PgCatalog.Table> data = FkGraph.dumpOrder(selected.dataTables());
            long bytesTotal =
                    data.stream().mapToLong(PgCatalog.Table::sizeBytes).sum();
            int workers = Math.max(1, Math.min(parallelism, data.size()));
            List<Connection> conns = session.openWorkers(workers);
            // From here on the coordinator only holds the locks; losing it must stop the copy at once, and a
            // cancel must reach threads blocked on a socket, which no checkpoint can.
            session.watchCoordinator(
                    coordinatorCheck, coordinatorCheck.multipliedBy(10).plusSeconds(5));
            try (StopSignal.Registration stop = ctx.onStop(session::abort)) {
                copyAll(
                        serverTools,
                        source,
                        db,
                        selected,
                        codec,
                        writer,
                        ctx,
                        progress,
                        session,
                        conns,
                        data,
                        bytesTotal,
                        rows,
                        entries);
            }
            // SUCCEEDED must mean every table was read under the locks: the coordinator's transaction is
            // proved alive after the last COPY (and pg_dump) ended.
            session.ensureHeld();
            LOG.infof(
                    "Database %s: %d tables copied in %d ms",
                    source, data.size(), (System.nanoTime() - t0) / 1_000_000);
            return section(
                    source,
                    serverVersion,
                    pgDump,
                    session.snapshotId(),
                    snapshotTime,
                    catalog,
                    selected,
                    rows,
                    entries);
        }
    }

    /**
     * Runs pg_dump's schema dump and one COPY worker per connection until the queue is empty. The first failure
     * anywhere aborts the session (so threads blocked on any of its sockets fail too), and the cause reported is
     * the first one: a cancellation, the coordinator's loss, or the failing table.
     */
    private void copyAll(
            PgTools dumpTools,
            String source,
            PgConnectionInfo db,
            Selection.Result selected,
            Codec codec,
            ArchiveWriter writer,
            StopSignal ctx,
            ProgressSink progress,
            SnapshotSession session,
            List<Connection> conns,
            List<PgCatalog.Table> data,
            long bytesTotal,
            Map<TableRef, Long> rows,
            Map<TableRef, String> entries)
            throws Exception {
        // Long on purpose: the thread, abort and first-failure choreography of one backup (pg_dump, the COPY workers,
        // the coordinator watch) reads best in one place; the priority-1 fixes of docs/reliability.md live here.
        AtomicLong bytesDone = new AtomicLong();
        AtomicLong rowsDone = new AtomicLong();
        long rowsEstimate = data.stream().anyMatch(t -> t.estimatedRows() >= 0)
                ? data.stream().mapToLong(t -> Math.max(0, t.estimatedRows())).sum()
                : -1;
        Set<TableRef> finished = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<PgCatalog.Table> queue = new ConcurrentLinkedQueue<>(data);
        progress.update(source, 0, bytesTotal, 0, data.size(), null, 0, rowsEstimate);
        ExecutorService pool = Executors.newFixedThreadPool(conns.size() + 1, r -> {
            Thread t = new Thread(r, "holdfast-dump-" + source);
            t.setDaemon(true);
            return t;
        });
        CompletionService<Void> done = new ExecutorCompletionService<>(pool);
        int tasks = 0;
        Exception failure = null;
        try {
            String schemaEntry = EntryNames.schema(source);
            done.submit(() -> {
                // pg_dump's custom format is compressed already: stored as is.
                try (EntryBuilder b = writer.openEntry(schemaEntry, EntryInfo.KIND_SCHEMA, Codec.NONE)) {
                    dumpTools.dumpSchema(
                            db,
                            session.snapshotId(),
                            PgTools.DumpFilter.of(selected),
                            lockTimeout,
                            new Checkpointing(b, ctx, null, null));
                    b.commit();
                }
                return null;
            });
            tasks++;
            for (Connection worker : conns) {
                done.submit(() -> {
                    PgCatalog.Table t;
                    while ((t = queue.poll()) != null) {
                        ctx.checkpoint();
                        String name = EntryNames.tableData(
                                source, t.ref().schema(), t.ref().name(), codec);
                        progress.update(
                                source,
                                bytesDone.get(),
                                bytesTotal,
                                finished.size(),
                                data.size(),
                                t.ref().dotted(),
                                rowsDone.get(),
                                rowsEstimate);
                        String current = t.ref().dotted();
                        // Progress also moves inside a table: a large one copies for hours, and a bar that stands
                        // still that long looks like (and would be reported as) a stalled job.
                        Runnable inTable = () -> progress.update(
                                source,
                                bytesDone.get(),
                                bytesTotal,
                                finished.size(),
                                data.size(),
                                current,
                                rowsDone.get(),
                                rowsEstimate);
                        try (EntryBuilder b = writer.openEntry(name, EntryInfo.KIND_TABLE_DATA, codec)) {
                            CopyStreamer.CopyResult r = copy.copyOut(
                                    worker,
                                    t.ref(),
                                    t.copyColumns(),
                                    formatOf(t),
                                    new Checkpointing(b, ctx, bytesDone, inTable));
                            b.commit();
                            rows.put(t.ref(), r.rows());
                            entries.put(t.ref(), name);
                            rowsDone.addAndGet(r.rows());
                        }
                        finished.add(t.ref());
                        progress.update(
                                source,
                                bytesDone.get(),
                                bytesTotal,
                                finished.size(),
                                data.size(),
                                t.ref().dotted(),
                                rowsDone.get(),
                                rowsEstimate);
                    }
                    return null;
                });
                tasks++;
            }
            // In completion order, so that the first failure is seen at once, whichever task it is.
            for (int i = 0; i < tasks && failure == null; i++) {
                try {
                    done.take().get();
                } catch (ExecutionException e) {
                    failure = e.getCause() instanceof Exception ex ? ex : e;
                    queue.clear();
                    session.abort();
                }
            }
        } finally {
            pool.shutdownNow();
            // Aborted connections fail their COPY at once and pg_dump is killed by its runner when its output
            // fails; this wait is only a bound, not a step that can hang.
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warnf("Database %s: copy threads still running 30 s after the backup stopped", source);
            }
        }
        if (failure != null) {
            ctx.checkpoint(); // a cancellation (or shutdown) is the reason, not the aborted socket it caused
            Optional<PgEngineException> lost = session.lostCoordinator();
            if (lost.isPresent()) {
                lost.get().addSuppressed(failure);
                throw lost.get();
            }
            throw failure;
        }
    }

    private Manifest.DatabaseSection section(
            String source,
            String serverVersion,
            PgTools.ToolVersion pgDump,
            String snapshotId,
            Instant snapshotTime,
            PgCatalog catalog,
            Selection.Result selected,
            Map<TableRef, Long> rows,
            Map<TableRef, String> entries) {
        // Long on purpose: it only assembles the manifest section field by field (one argument per line after
        // formatting).
        FkGraph graph = FkGraph.of(catalog, selected.tableRefs());
        Map<TableRef, PgCatalog.Table> byRef = new HashMap<>();
        selected.tables().forEach(t -> byRef.put(t.ref(), t));
        List<Manifest.TableEntry> tables = new ArrayList<>();
        for (TableRef ref : graph.restoreOrder()) {
            String entry = entries.get(ref);
            if (entry == null) {
                continue; // partitioned parents and schema-only tables carry no data
            }
            PgCatalog.Table t = byRef.get(ref);
            tables.add(new Manifest.TableEntry(
                    ref.schema(),
                    ref.name(),
                    t.copyColumns(),
                    rows.get(ref),
                    entry,
                    formatName(formatOf(t)),
                    Map.of()));
        }
        Map<String, Boolean> deferrable = catalog.foreignKeys().stream()
                .collect(Collectors.toMap(
                        fk -> fk.from().dotted() + "/" + fk.name(), PgCatalog.ForeignKey::deferrable, (a, b) -> a));
        List<Manifest.FkEdge> edges = graph.edges().stream()
                .map(e -> new Manifest.FkEdge(
                        e.constraint(),
                        ref(e.from()),
                        ref(e.to()),
                        deferrable.getOrDefault(e.from().dotted() + "/" + e.constraint(), false)))
                .toList();
        List<List<Manifest.TableRef>> cycles = graph.cycles().stream()
                .map(c -> c.tables().stream().map(DatabaseBackup::ref).toList())
                .toList();
        Set<TableRef> selectedRefs = Set.copyOf(selected.tableRefs());
        List<Manifest.SequenceEntry> sequences = catalog.sequences().stream()
                .filter(s -> !selected.excludedSchemas().contains(s.ref().schema()))
                .filter(s -> s.ownedByTable().map(selectedRefs::contains).orElse(true))
                .map(s -> new Manifest.SequenceEntry(
                        s.ref().schema(),
                        s.ref().name(),
                        s.lastValue(),
                        s.isCalled(),
                        s.ownedByTable()
                                .map(t -> t.dotted() + "." + s.ownedByColumn().orElse(""))
                                .orElse(null)))
                .toList();
        List<String> warnings = new ArrayList<>(selected.warnings());
        for (PgCatalog.Table t : selected.schemaOnly()) {
            warnings.add("Rows of " + t.ref().dotted() + " were left out on request (schema only)");
        }
        Map<String, com.fasterxml.jackson.databind.JsonNode> ext = new HashMap<>();
        var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        var breaking = f.arrayNode();
        graph.cycles().forEach(c -> c.breakingConstraints().forEach(breaking::add));
        ext.put("cycle_breaking_constraints", breaking);
        var schemaOnly = f.arrayNode();
        selected.schemaOnly().forEach(t -> schemaOnly.add(t.ref().dotted()));
        ext.put("schema_only_tables", schemaOnly);
        return new Manifest.DatabaseSection(
                source,
                serverVersion,
                pgDump.text(),
                snapshotId,
                snapshotTime,
                tables.stream().anyMatch(t -> "binary".equals(t.copyFormat())) ? "binary" : "text",
                EntryNames.schema(source),
                tables,
                edges,
                cycles,
                sequences,
                Collections.unmodifiableList(warnings),
                ext);
    }

    private static Manifest.TableRef ref(TableRef t) {
        return new Manifest.TableRef(t.schema(), t.name());
    }

    private static String queryString(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Passes bytes on, counting them, and stops the copy at the job's next checkpoint. */
    private static final class Checkpointing extends FilterOutputStream {
        /** Bytes between two in-table progress reports (the job throttles what it persists on its own). */
        private static final long REPORT_EVERY = 1 << 20;

        private final StopSignal ctx;
        private final AtomicLong counter;
        private final Runnable onProgress;
        private long unreported;

        Checkpointing(OutputStream out, StopSignal ctx, AtomicLong counter, Runnable onProgress) {
            super(out);
            this.ctx = ctx;
            this.counter = counter;
            this.onProgress = onProgress;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ctx.checkpoint();
            out.write(b, off, len);
            if (counter != null) {
                counter.addAndGet(len);
            }
            unreported += len;
            if (onProgress != null && unreported >= REPORT_EVERY) {
                unreported = 0;
                onProgress.run();
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void close() throws IOException {
            flush(); // the entry builder is committed or aborted by its owner
        }
    }
}
