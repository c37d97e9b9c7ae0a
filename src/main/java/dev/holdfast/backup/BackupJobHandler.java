package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.archive.ArchiveSummary;
import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.JobState;
import dev.holdfast.job.Progress;
import dev.holdfast.media.MediaBackup;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.storage.WritableArchive;
import dev.holdfast.time.TimeSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a backup job: streams every selected database into one archive in storage, commits it
 * durably, re-reads it and checks every checksum, and only then marks the backup SUCCEEDED.
 */
@ApplicationScoped
public class BackupJobHandler implements JobHandler {
    /**
     * zstd level 1, not zstd's usual 3: on the benchmark's data (bench/bench.py) it was both faster and
     * smaller (60.5 MB vs 70.2 MB; pg_dump -Fc: 80.8 MB), and CPU is what a backup on a busy host lacks.
     */
    static final int DEFAULT_ZSTD_LEVEL = 1;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(BackupJobHandler.class);

    @Inject
    BackupService backups;

    @Inject
    SourceRegistry sources;

    @Inject
    ArchiveStorage storage;

    @Inject
    HoldfastConfig config;

    @Inject
    ObjectMapper mapper;

    @Inject
    TimeSource time;

    @Override
    public String type() {
        return BackupService.BACKUP_JOB;
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        BackupService.BackupJobPayload payload = ctx.payload(BackupService.BackupJobPayload.class);
        return runBackup(payload.backupId(), ctx);
    }

    /**
     * Runs the backup recorded as {@code backupId} within the calling job (its own job, or a restore taking
     * its pre-restore backup), and returns the job result. On failure the backup row is left to the caller's
     * failure handling ({@link BackupService#fail}).
     */
    public ObjectNode runBackup(java.util.UUID backupId, JobContext ctx) throws Exception {
        Backup b = backups.start(backupId);
        BackupOptions options = mapper.treeToValue(b.options, BackupOptions.class);
        Codec codec = Codec.fromName(options.compression());
        List<String> dbs = new ArrayList<>();
        b.databases.forEach(n -> dbs.add(n.asText()));

        Path spool = spoolDir();
        ArchiveWriter.Options writerOptions = ArchiveWriter.Options.defaults(spool,
                config.archive().maxSize().asLongValue(), time.clock());
        if (codec != Codec.NONE) {
            int level = config.archive().level().orElse(codec == Codec.ZSTD ? DEFAULT_ZSTD_LEVEL : codec.defaultLevel());
            writerOptions = codec == Codec.ZSTD ? writerOptions.withZstdLevel(level) : writerOptions.withGzipLevel(level);
        }
        PgTools tools = PgTools.locate(config.pg().binDir());
        int parallelism = config.copy().parallelism().orElse(Runtime.getRuntime().availableProcessors());
        DatabaseBackup engine = new DatabaseBackup(ConnectionFactory.driverManager(), tools, parallelism,
                config.copy().lockTimeout()).copyFormat(config.copy().format()).clock(time.clock());
        long started = System.nanoTime();
        long tCopied;
        long tChecked;
        boolean verified = false;
        HoldfastConfig.Archive.VerifyMode mode = config.archive().verifyAfterWrite();

        Map<String, long[]> perSource = new ConcurrentHashMap<>();
        DatabaseBackup.ProgressSink sink = (source, done, total, tDone, tTotal, current) -> {
            perSource.put(source, new long[] {done, total, tDone, tTotal});
            long bd = 0;
            long bt = 0;
            long id = 0;
            long it = 0;
            for (long[] v : perSource.values()) {
                bd += v[0];
                bt += v[1];
                id += v[2];
                it += v[3];
            }
            // Catalog sizes are estimates: never claim 100% before the archive is stored.
            Double percent = bt > 0 ? Math.min(95.0, 95.0 * bd / bt) : null;
            ctx.progress(new Progress("copy", percent, bd, bt, id, it, current == null ? null : source + ":" + current,
                    null, "Copying tables of " + source));
        };

        List<Manifest.DatabaseSection> sections = new ArrayList<>();
        List<Manifest.MediaSection> mediaSections = new ArrayList<>();
        List<MediaBackup.Result> mediaResults = new ArrayList<>();
        ArchiveSummary summary;
        try (WritableArchive out = storage.create(b.storageKey);
                // In the default (stored) check the archive is read back anyway: its SHA-256 is taken from that
                // read, on another core, instead of serially under the writer's lock while entries are appended.
                ArchiveWriter writer = new ArchiveWriter(out.stream(), writerOptions,
                        mode != HoldfastConfig.Archive.VerifyMode.STORED)) {
            for (String name : dbs) {
                SourceRegistry.DatabaseSource src = sources.databases().get(name);
                if (src == null) {
                    throw new IllegalStateException("Database source '" + name + "' is no longer configured");
                }
                ctx.progress(Progress.phase("snapshot", "Opening a consistent snapshot of " + name));
                PgConnectionInfo info = src.connectionInfo();
                sections.add(engine.run(name, info, options.selection(), codec, writer, ctx, sink));
            }
            List<String> mediaNames = new ArrayList<>();
            b.media.forEach(n -> mediaNames.add(n.asText()));
            for (String name : mediaNames) {
                SourceRegistry.MediaSource src = sources.media().get(name);
                if (src == null) {
                    throw new IllegalStateException("Media root '" + name + "' is no longer configured");
                }
                List<String> include = new ArrayList<>(src.include());
                include.addAll(options.mediaInclude());
                List<String> exclude = new ArrayList<>(src.exclude());
                exclude.addAll(options.mediaExclude());
                ctx.progress(Progress.phase("media", "Reading media root " + name));
                MediaBackup.Result r = MediaBackup.of(name, src.path())
                        .include(include)
                        .exclude(exclude)
                        .codec(codec)
                        .parallelism(parallelism)
                        .checkpoint(ctx::checkpoint)
                        .progress(p -> ctx.progress(new Progress("media", null, p.bytesDone(), p.bytesTotal(),
                                p.filesDone(), p.filesTotal(), p.currentFile() == null ? null
                                        : name + ":" + p.currentFile(), p.eta() == null ? null : p.eta().toSeconds(),
                                "Reading media root " + name)))
                        .run(writer);
                mediaSections.add(r.section());
                mediaResults.add(r);
            }
            ctx.checkpoint();
            Manifest manifest = Manifest.of(b.id.toString(), b.name, b.backupType.jsonName(), time.now())
                    .withDatabases(sections)
                    .withMedia(mediaSections)
                    .withTools(Map.of("holdfast", version()));
            summary = writer.finish(manifest);
            tCopied = System.nanoTime();
            ctx.checkpoint();
            java.util.Optional<java.io.InputStream> readBack = mode == HoldfastConfig.Archive.VerifyMode.OFF
                    ? java.util.Optional.empty() : out.readBack();
            if (readBack.isPresent()) {
                // Re-read and check the stored bytes while the OS makes them durable: the two overlap (the
                // fsync mostly waits on the disk), and an archive failing its check is never published.
                ctx.progress(new Progress("verify", 96.0, null, null, null, null, null, null,
                        "Re-reading the stored archive and checking every checksum"));
                java.util.concurrent.CompletableFuture<Object> durable = background("archive-sync", () -> {
                    out.sync();
                    return null;
                });
                java.util.concurrent.CompletableFuture<Object> archiveSha = null;
                if (summary.archiveSha256() == null) {
                    java.io.InputStream again = out.readBack().orElseThrow();
                    archiveSha = background("archive-sha256", () -> dev.holdfast.archive.Digests.sha256Hex(again));
                }
                try {
                    verified = postWriteCheck(readBack.get(), summary, mode);
                } finally {
                    await(durable);
                    if (archiveSha != null) {
                        summary = summary.withArchiveSha256((String) await(archiveSha));
                    }
                }
            }
            tChecked = System.nanoTime();
            ctx.checkpoint();
            ctx.progress(new Progress("store", 98.0, null, null, null, null, null, null,
                    "Making the archive durable"));
            out.commit();
            long stored = storage.size(b.storageKey);
            if (stored != summary.archiveBytes()) {
                throw new IllegalStateException("The stored archive has " + stored + " bytes; " + summary.archiveBytes()
                        + " were written");
            }
            if (readBack.isEmpty() && mode != HoldfastConfig.Archive.VerifyMode.OFF) {
                // A backend that cannot read uncommitted data is checked after publishing (a failure deletes it).
                verified = postWriteCheck(storage.open(b.storageKey), summary, mode);
                if (summary.archiveSha256() == null) {
                    summary = summary.withArchiveSha256(dev.holdfast.archive.Digests.sha256Hex(storage.open(b.storageKey)));
                }
            }
        }
        long tStored = System.nanoTime();
        long millis = (System.nanoTime() - started) / 1_000_000;
        LOG.infof("Backup %s stored: %d bytes in %d ms (dump %d ms, check while syncing %d ms, publish %d ms)",
                b.id, summary.archiveBytes(), millis, (tCopied - started) / 1_000_000, (tChecked - tCopied) / 1_000_000,
                (tStored - tChecked) / 1_000_000);
        ObjectNode summaryJson = summarize(summary, millis);
        ArrayNode mediaJson = summaryJson.putArray("media");
        for (MediaBackup.Result r : mediaResults) {
            ObjectNode m = mediaJson.addObject();
            m.put("source", r.section().source());
            m.put("files", r.files());
            m.put("bytes", r.bytes());
            m.put("directories", r.section().directories().size());
            m.put("symlinks", r.section().symlinks().size());
            m.put("complete", r.complete());
            m.set("inconsistent", mapper.valueToTree(r.inconsistent()));
            m.set("warnings", mapper.valueToTree(r.warnings()));
        }
        summaryJson.put("post_write_check", mode.name().toLowerCase(java.util.Locale.ROOT));
        backups.succeed(b.id, summary, summaryJson, verified);
        ctx.progress(new Progress("done", 100.0, null, null, null, null, null, 0L, "Backup stored and verified"));
        ObjectNode result = mapper.createObjectNode();
        result.put("backup_id", b.id.toString());
        result.put("size_bytes", summary.archiveBytes());
        result.put("sha256", summary.archiveSha256());
        result.put("duration_ms", millis);
        return result;
    }

    @Override
    public void onFailure(JobOutcome outcome) {
        BackupService.BackupJobPayload p = mapper.convertValue(outcome.payload(), BackupService.BackupJobPayload.class);
        backups.fail(p.backupId(), outcome.state() == JobState.CANCELLED ? BackupStatus.CANCELLED : BackupStatus.FAILED,
                outcome.error());
    }

    @Override
    public void reconcile() {
        for (BackupService.Orphan o : backups.orphans()) {
            boolean cancelled = JobState.CANCELLED.name().equals(o.jobState());
            String why = "Its job ended " + o.jobState() + (o.jobError() == null ? "" : ": " + o.jobError())
                    + (JobState.SUCCEEDED.name().equals(o.jobState()) ? " without recording the backup" : "");
            LOG.warnf("Backup %s was still open after its job ended; recorded %s (%s)", o.backupId(),
                    cancelled ? "CANCELLED" : "FAILED", why);
            backups.fail(o.backupId(), cancelled ? BackupStatus.CANCELLED : BackupStatus.FAILED, why);
        }
    }

    /**
     * Re-reads the written archive: tar structure, every entry's stored SHA-256 and the manifest checksum
     * ({@code FULL} also decodes every entry and checks the whole-archive SHA-256). Returns whether that was a
     * full verification; throws when anything does not match.
     */
    private static boolean postWriteCheck(java.io.InputStream archive, ArchiveSummary summary,
            HoldfastConfig.Archive.VerifyMode mode) throws java.io.IOException {
        boolean full = mode == HoldfastConfig.Archive.VerifyMode.FULL;
        VerifyJobHandler.Outcome v = VerifyJobHandler.check(archive, full ? summary.archiveSha256() : null, full);
        if (!v.report().ok() || !v.archiveShaMatches()) {
            throw new IllegalStateException("The stored archive failed verification: " + v.describe());
        }
        return full;
    }

    /** Runs blocking work on a thread of its own (an fsync waits on the disk; a hash wants the other core). */
    private static java.util.concurrent.CompletableFuture<Object> background(String name,
            java.util.concurrent.Callable<Object> work) {
        java.util.concurrent.CompletableFuture<Object> done = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                done.complete(work.call());
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return done;
    }

    private static Object await(java.util.concurrent.CompletableFuture<Object> work) throws java.io.IOException {
        try {
            return work.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while checking the archive");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof java.io.IOException io) {
                throw io;
            }
            throw new java.io.IOException("Checking the written archive failed: " + e.getCause(), e.getCause());
        }
    }

    private Path spoolDir() throws java.io.IOException {
        Path dir = Path.of(config.storage().local().root()).resolve(".spool");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir;
    }

    private ObjectNode summarize(ArchiveSummary archive, long millis) {
        Manifest m = archive.manifest();
        ObjectNode root = mapper.createObjectNode();
        root.put("format_version", m.formatVersion());
        root.put("duration_ms", millis);
        root.put("entries", m.entries().size());
        root.put("archive_bytes", archive.archiveBytes());
        root.set("tools", mapper.valueToTree(m.tools()));
        Map<String, EntryInfo> byName = new HashMap<>();
        m.entries().forEach(e -> byName.put(e.name(), e));
        ArrayNode dbs = root.putArray("databases");
        for (Manifest.DatabaseSection s : m.databases()) {
            ObjectNode d = dbs.addObject();
            d.put("source", s.source());
            d.put("server_version", s.serverVersion());
            d.put("pg_dump_version", s.pgDumpVersion());
            d.put("snapshot_time", s.snapshotTime().toString());
            long rows = 0;
            long raw = 0;
            long stored = 0;
            ArrayNode tables = mapper.createArrayNode();
            for (Manifest.TableEntry t : s.tables()) {
                EntryInfo e = byName.get(t.entry());
                rows += t.rowCount();
                raw += e.rawSize();
                stored += e.storedSize();
                ObjectNode tn = tables.addObject();
                tn.put("schema", t.schema());
                tn.put("name", t.name());
                tn.put("rows", t.rowCount());
                tn.put("raw_bytes", e.rawSize());
                tn.put("stored_bytes", e.storedSize());
                tn.put("codec", e.codec().jsonName());
                tn.put("sha256", e.sha256());
            }
            d.put("table_count", s.tables().size());
            d.put("rows", rows);
            d.put("raw_bytes", raw);
            d.put("stored_bytes", stored);
            d.set("tables", tables);
            d.put("fk_edges", s.fkEdges().size());
            d.set("cycles", mapper.valueToTree(s.cycles()));
            d.put("sequences", s.sequences().size());
            d.set("warnings", mapper.valueToTree(s.warnings()));
        }
        return root;
    }

    static String version() {
        String v = BackupJobHandler.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
