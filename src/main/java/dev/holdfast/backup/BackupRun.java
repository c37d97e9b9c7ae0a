package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.archive.ArchiveSummary;
import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.Digests;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.WrittenFiles;
import dev.holdfast.crypto.AgeKeys;
import dev.holdfast.crypto.AgeRecipient;
import dev.holdfast.job.Progress;
import dev.holdfast.job.ProgressSink;
import dev.holdfast.job.StopSignal;
import dev.holdfast.media.MediaBackup;
import dev.holdfast.media.MediaIndex;
import dev.holdfast.media.MediaReferences;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.CopyStreamer;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.storage.WritableArchive;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * One backup as a plain engine: streams every selected database and media root into one archive in storage,
 * re-reads it and checks every checksum while it is made durable, publishes it and returns what it holds. It
 * knows nothing of the catalog or the job queue, so the job handler, a restore's pre-restore backup, the CLI and
 * tests all run it the same way.
 */
public final class BackupRun {
    /**
     * zstd level 1, not zstd's usual 3: on the benchmark's data (bench/bench.py) it was both faster and
     * smaller (60.5 MB vs 70.2 MB; pg_dump -Fc: 80.8 MB), and CPU is what a backup on a busy host lacks.
     */
    static final int DEFAULT_ZSTD_LEVEL = 1;

    private static final Logger LOG = Logger.getLogger(BackupRun.class);

    /** How the archive is checked after it was written ({@code holdfast.archive.verify-after-write}). */
    public enum PostWriteCheck {
        /** Not re-read at all. */
        OFF,
        /** Tar structure, every entry's stored SHA-256 and the manifest checksum. */
        STORED,
        /** As STORED, and every entry decoded and the whole archive's SHA-256 checked. */
        FULL
    }

    /**
     * How this installation backs up.
     *
     * @param spoolDir an existing private directory for entries spooled before they are appended
     * @param maxArchiveBytes the largest archive allowed
     * @param level the configured compression level, or empty for the codec's default
     * @param clock the wall clock for the manifest's and entries' times (the service's TimeSource)
     * @param encryptTo age recipients the archive is encrypted to; empty: a plain archive
     */
    public record Settings(
            Path spoolDir,
            long maxArchiveBytes,
            OptionalInt level,
            ConnectionFactory connections,
            PgTools tools,
            int parallelism,
            Duration lockTimeout,
            CopyStreamer.Format copyFormat,
            PostWriteCheck check,
            java.time.Clock clock,
            List<AgeRecipient> encryptTo) {
        public Settings {
            encryptTo = encryptTo == null ? List.of() : List.copyOf(encryptTo);
        }

        /** Settings for plain (unencrypted) archives. */
        public Settings(
                Path spoolDir,
                long maxArchiveBytes,
                OptionalInt level,
                ConnectionFactory connections,
                PgTools tools,
                int parallelism,
                Duration lockTimeout,
                CopyStreamer.Format copyFormat,
                PostWriteCheck check,
                java.time.Clock clock) {
            this(
                    spoolDir,
                    maxArchiveBytes,
                    level,
                    connections,
                    tools,
                    parallelism,
                    lockTimeout,
                    copyFormat,
                    check,
                    clock,
                    List.of());
        }
    }

    /** A configured media root with its own include and exclude globs. */
    public record MediaRoot(String name, Path path, List<String> include, List<String> exclude) {}

    /**
     * Looks sources up by name at the moment they are backed up (configuration may have changed since the
     * backup was asked for); null when no longer configured.
     */
    public interface Sources {
        PgConnectionInfo database(String name);

        MediaRoot media(String name);
    }

    /**
     * What an incremental backup builds on.
     *
     * @param bases per media root, the index of the newest earlier backup of it (roots without one are stored whole)
     * @param holders every backup a base names as holding contents, with the facts the manifest records of it
     *     ({@code files} and {@code bytes} are filled in by the run)
     * @param parent the newest base, recorded as the manifest's parent
     * @param parentChainLength the parent's own chain length (0 for a full backup)
     * @param rehash read and hash every file instead of trusting unchanged metadata
     */
    public record Incremental(
            Map<String, MediaIndex> bases,
            Map<String, Manifest.Reference> holders,
            String parent,
            int parentChainLength,
            boolean rehash) {
        public Incremental {
            bases = Map.copyOf(bases);
            holders = Map.copyOf(holders);
        }
    }

    /**
     * What to back up.
     *
     * @param storageKey where the archive goes in storage
     * @param extensions written into the manifest's extensions as they are (the catalog's own facts, so that a
     *     lost catalog can be rebuilt from storage)
     * @param incremental what unchanged media files may refer to instead of being stored, asked for only once a media
     *     root is walked (so that a caller can read it from its catalog meanwhile) and then again for the manifest: it
     *     gives the same answer each time (a future's result); null, or a supplier of null: store everything
     */
    public record Request(
            UUID backupId,
            String name,
            BackupType type,
            String storageKey,
            List<String> databases,
            List<String> media,
            BackupOptions options,
            Map<String, JsonNode> extensions,
            Supplier<Incremental> incremental) {
        public Request {
            databases = List.copyOf(databases);
            media = List.copyOf(media);
            extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
            incremental = incremental == null ? () -> null : incremental;
        }

        /** A full (not incremental) backup. */
        public Request(
                UUID backupId,
                String name,
                BackupType type,
                String storageKey,
                List<String> databases,
                List<String> media,
                BackupOptions options,
                Map<String, JsonNode> extensions) {
            this(backupId, name, type, storageKey, databases, media, options, extensions, null);
        }

        /** A request whose manifest carries no extensions. */
        public Request(
                UUID backupId,
                String name,
                BackupType type,
                String storageKey,
                List<String> databases,
                List<String> media,
                BackupOptions options) {
            this(backupId, name, type, storageKey, databases, media, options, Map.of());
        }
    }

    private final ArchiveStorage storage;
    private final Settings settings;
    private final Sources sources;

    public BackupRun(ArchiveStorage storage, Settings settings, Sources sources) {
        this.storage = storage;
        this.settings = settings;
        this.sources = sources;
    }

    /** Where the media roots' encoded file indexes go as soon as they are made, before the archive is checked. */
    @FunctionalInterface
    public interface IndexesAhead {
        /**
         * Records {@code byRoot}, the encoded index of each of {@code sections}; a failure is logged and the indexes
         * are recorded with the result instead.
         */
        void record(List<Manifest.MediaSection> sections, Map<String, byte[]> byRoot) throws Exception;
    }

    private IndexesAhead indexesAhead;

    /**
     * Hands the media indexes to {@code sink} on the thread that encodes them, while the manifest is written and the
     * archive checked: recording 20,000 files' index (about 1.4 MB) took a fifth of an incremental backup when it
     * waited for the end. They still come back in the result, for a caller whose sink failed.
     */
    public BackupRun indexesAhead(IndexesAhead sink) {
        this.indexesAhead = sink;
        return this;
    }

    /**
     * Runs the backup. On failure the archive may be partly written: the caller discards it
     * ({@link ArchiveStorage#delete}, {@link ArchiveStorage#discardPartial}).
     */
    public BackupResult run(Request req, ProgressSink progress, StopSignal stop) throws Exception {
        Codec codec = Codec.fromName(req.options().compression());
        ArchiveWriter.Options writerOptions =
                ArchiveWriter.Options.defaults(settings.spoolDir(), settings.maxArchiveBytes(), settings.clock());
        if (codec != Codec.NONE) {
            int level = settings.level().orElse(codec == Codec.ZSTD ? DEFAULT_ZSTD_LEVEL : codec.defaultLevel());
            writerOptions =
                    codec == Codec.ZSTD ? writerOptions.withZstdLevel(level) : writerOptions.withGzipLevel(level);
        }
        PostWriteCheck mode = settings.check();
        long started = System.nanoTime();
        Stored stored;
        Map<String, byte[]> indexes;
        long tDatabases;
        long tMedia;
        boolean encrypted = !settings.encryptTo().isEmpty();
        try (WritableArchive out = storage.create(req.storageKey());
                SealedArchive target = new SealedArchive(out.stream(), settings.encryptTo());
                // In the default (stored) check the archive is read back anyway: its SHA-256 is taken from that
                // read, on another core, instead of serially under the writer's lock while entries are appended.
                // An encrypted archive's SHA-256 is of the stored (age) bytes, hashed as they leave.
                ArchiveWriter writer = new ArchiveWriter(
                        target.plaintext(), writerOptions, !encrypted && mode != PostWriteCheck.STORED)) {
            List<Manifest.DatabaseSection> sections = dumpDatabases(req, codec, writer, progress, stop);
            tDatabases = System.nanoTime();
            List<MediaBackup.Result> media = readMedia(req, codec, writer, progress, stop);
            tMedia = System.nanoTime();
            stop.checkpoint();
            // The files of each media root are written as JSON once, for the manifest and the catalog's file index;
            // the index is compressed and recorded on the other core while the manifest is written and the archive
            // checked (writing the manifest adds entries, never files).
            List<Manifest.MediaSection> mediaSections =
                    media.stream().map(MediaBackup.Result::section).toList();
            WrittenFiles written = WrittenFiles.of(mediaSections);
            CompletableFuture<Object> encoding = mediaSections.isEmpty()
                    ? CompletableFuture.completedFuture(Map.of())
                    : BackgroundWork.start("media-index", () -> {
                        Map<String, byte[]> byRoot = new java.util.LinkedHashMap<>();
                        mediaSections.forEach(s -> byRoot.put(s.source(), MediaIndex.encodeJson(written.json(s))));
                        if (indexesAhead != null) {
                            try {
                                indexesAhead.record(mediaSections, byRoot);
                            } catch (Exception e) {
                                LOG.warnf(
                                        "Backup %s: the media index was not recorded ahead (%s); it is recorded with"
                                                + " the result",
                                        req.backupId(), e.getMessage());
                            }
                        }
                        return byRoot;
                    });
            Manifest manifest = Manifest.of(
                            req.backupId().toString(),
                            req.name(),
                            req.type().jsonName(),
                            settings.clock().instant())
                    .withDatabases(sections)
                    .withMedia(mediaSections)
                    .withTools(Map.of("holdfast", version()))
                    .withExtensions(req.extensions())
                    .withIncremental(references(req.incremental().get(), media));
            if (encrypted) {
                Map<String, JsonNode> ext = new java.util.HashMap<>(manifest.extensions());
                ext.put(ENCRYPTION_EXTENSION, encryptionNode(settings.encryptTo()));
                manifest = manifest.withExtensions(ext);
            }
            ArchiveSummary summary = target.finish(writer.finish(manifest, codec, written));
            stored = checkAndPublish(req, out, summary, media, target.keys(), started, progress, stop);
            @SuppressWarnings("unchecked")
            Map<String, byte[]> encoded =
                    (Map<String, byte[]>) BackgroundWork.await(encoding, "Encoding the media index");
            indexes = encoded;
        }
        long tStored = System.nanoTime();
        long millis = (tStored - started) / 1_000_000;
        ArchiveSummary summary = stored.archive();
        LOG.infof(
                "Backup %s stored: %d bytes in %d ms (dump %d ms: databases %d, media %d, manifest %d; check while"
                        + " syncing %d ms, publish %d ms)",
                req.backupId(),
                summary.archiveBytes(),
                millis,
                (stored.tCopied() - started) / 1_000_000,
                (tDatabases - started) / 1_000_000,
                (tMedia - tDatabases) / 1_000_000,
                (stored.tCopied() - tMedia) / 1_000_000,
                (stored.tChecked() - stored.tCopied()) / 1_000_000,
                (tStored - stored.tChecked()) / 1_000_000);
        BackupSummary typed =
                BackupSummary.of(summary, millis, stored.media(), mode.name().toLowerCase(Locale.ROOT));
        return new BackupResult(summary, typed, stored.verified(), millis, indexes);
    }

    private List<Manifest.DatabaseSection> dumpDatabases(
            Request req, Codec codec, ArchiveWriter writer, ProgressSink progress, StopSignal stop) throws Exception {
        DatabaseBackup engine = new DatabaseBackup(
                        settings.connections(), settings.tools(), settings.parallelism(), settings.lockTimeout())
                .copyFormat(settings.copyFormat())
                .clock(settings.clock());
        DatabaseBackup.ProgressSink sink = new DatabaseCopyProgress(progress);
        List<Manifest.DatabaseSection> sections = new ArrayList<>();
        for (String name : req.databases()) {
            PgConnectionInfo info = sources.database(name);
            if (info == null) {
                throw new IllegalStateException("Database source '" + name + "' is no longer configured");
            }
            progress.progress(Progress.phase("snapshot", "Opening a consistent snapshot of " + name));
            sections.add(engine.run(name, info, req.options().selection(), codec, writer, stop, sink));
        }
        return sections;
    }

    private List<MediaBackup.Result> readMedia(
            Request req, Codec codec, ArchiveWriter writer, ProgressSink progress, StopSignal stop) throws IOException {
        List<MediaBackup.Result> results = new ArrayList<>();
        for (String name : req.media()) {
            MediaRoot src = sources.media(name);
            if (src == null) {
                throw new IllegalStateException("Media root '" + name + "' is no longer configured");
            }
            List<String> include = new ArrayList<>(src.include());
            include.addAll(req.options().mediaInclude());
            List<String> exclude = new ArrayList<>(src.exclude());
            exclude.addAll(req.options().mediaExclude());
            progress.progress(Progress.phase("media", "Reading media root " + name));
            Supplier<Incremental> asked = req.incremental();
            results.add(MediaBackup.of(name, src.path())
                    .previous(
                            () -> {
                                Incremental inc = asked.get();
                                return inc == null ? null : inc.bases().get(name);
                            },
                            req.options().rehash())
                    .include(include)
                    .exclude(exclude)
                    .codec(codec)
                    .parallelism(settings.parallelism())
                    .checkpoint(stop::checkpoint)
                    .progress(p -> progress.progress(new Progress(
                            "media",
                            null,
                            p.bytesDone(),
                            p.bytesTotal(),
                            p.filesDone(),
                            p.filesTotal(),
                            p.currentFile() == null ? null : name + ":" + p.currentFile(),
                            p.eta() == null ? null : p.eta().toSeconds(),
                            "Reading media root " + name)))
                    .run(writer));
        }
        return results;
    }

    /**
     * The manifest's {@code incremental} block: the holders the media sections refer to, with how many files and bytes
     * each holds; null when nothing was referenced (the archive is then self-contained, a chain's new start).
     */
    static Manifest.Incremental references(Incremental inc, List<MediaBackup.Result> media) {
        if (inc == null) {
            return null;
        }
        Map<String, MediaReferences.Held> used = MediaReferences.heldBy(
                media.stream().map(MediaBackup.Result::section).toList());
        if (used.isEmpty()) {
            return null;
        }
        List<Manifest.Reference> refs = new ArrayList<>();
        used.forEach((holder, c) -> {
            Manifest.Reference h = inc.holders().get(holder);
            if (h == null) {
                throw new IllegalStateException("media files refer to backup " + holder + ", which no base names");
            }
            refs.add(new Manifest.Reference(
                    h.backupId(), h.name(), h.createdAt(), h.storageKey(), h.archiveSha256(), c.files(), c.bytes()));
        });
        return new Manifest.Incremental(inc.parent(), inc.parentChainLength() + 1, refs);
    }

    /** A published archive, whether it was fully verified, and when its copy and check ended. */
    private record Stored(
            ArchiveSummary archive, List<MediaBackup.Result> media, boolean verified, long tCopied, long tChecked) {}

    /**
     * Re-reads and checks the written archive while the OS makes it durable, commits it and confirms its size;
     * a backend that cannot read uncommitted data is checked after publishing (a failure then deletes it).
     */
    private Stored checkAndPublish(
            Request req,
            WritableArchive out,
            ArchiveSummary written,
            List<MediaBackup.Result> media,
            AgeKeys keys,
            long started,
            ProgressSink progress,
            StopSignal stop)
            throws IOException {
        ArchiveSummary summary = written;
        PostWriteCheck mode = settings.check();
        boolean verified = false;
        long tCopied = System.nanoTime();
        stop.checkpoint();
        Optional<InputStream> readBack = mode == PostWriteCheck.OFF ? Optional.empty() : out.readBack();
        if (readBack.isPresent()) {
            // Re-read and check the stored bytes while the OS makes them durable: the two overlap (the
            // fsync mostly waits on the disk), and an archive failing its check is never published.
            progress.progress(new Progress(
                    "verify",
                    96.0,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    "Re-reading the stored archive and checking every checksum"));
            CompletableFuture<Object> durable = BackgroundWork.start("archive-sync", () -> {
                out.sync();
                return null;
            });
            CompletableFuture<Object> archiveSha = null;
            if (summary.archiveSha256() == null) {
                InputStream again = out.readBack().orElseThrow();
                archiveSha = BackgroundWork.start("archive-sha256", () -> Digests.sha256Hex(again));
            }
            try {
                verified = postWriteCheck(
                        readBack.get(),
                        summary,
                        mode,
                        mode == PostWriteCheck.FULL || encrypted(summary) ? summary.archiveSha256() : null,
                        keys);
            } finally {
                BackgroundWork.await(durable, "Checking the written archive");
                if (archiveSha != null) {
                    summary = summary.withArchiveSha256(
                            (String) BackgroundWork.await(archiveSha, "Checking the written archive"));
                }
            }
        }
        long tChecked = System.nanoTime();
        stop.checkpoint();
        progress.progress(
                new Progress("store", 98.0, null, null, null, null, null, null, "Making the archive durable"));
        out.commit();
        long stored = storage.size(req.storageKey());
        if (stored != summary.archiveBytes()) {
            throw new IllegalStateException(
                    "The stored archive has " + stored + " bytes; " + summary.archiveBytes() + " were written");
        }
        if (readBack.isEmpty() && mode != PostWriteCheck.OFF) {
            // A backend that cannot read uncommitted data (object storage): the published archive is read back from
            // storage (one ranged read) and its SHA-256 compared with what was sent; a failure fails the backup,
            // whose failure handling deletes the archive.
            String sent = summary.archiveSha256() != null
                    ? summary.archiveSha256()
                    : out.sha256().orElse(null);
            long tCommitted = System.nanoTime();
            verified = postWriteCheck(storage.open(req.storageKey(), 0, stored), summary, mode, sent, keys);
            LOG.debugf(
                    "Backup %s: committed in %d ms, read back and checked in %d ms",
                    req.backupId(), (tCommitted - tChecked) / 1_000_000, (System.nanoTime() - tCommitted) / 1_000_000);
            if (summary.archiveSha256() == null) {
                summary = summary.withArchiveSha256(
                        sent != null ? sent : Digests.sha256Hex(storage.open(req.storageKey())));
            }
        }
        return new Stored(summary, media, verified, tCopied, tChecked);
    }

    /**
     * Re-reads the written archive: tar structure, every entry's stored SHA-256 and the manifest checksum
     * ({@code FULL} also decodes every entry), and the whole-archive SHA-256 when {@code expectedSha} is given.
     * Returns whether that was a full verification; throws when anything does not match.
     */
    private boolean postWriteCheck(
            InputStream archive, ArchiveSummary summary, PostWriteCheck mode, String expectedSha, AgeKeys keys)
            throws IOException {
        boolean full = mode == PostWriteCheck.FULL;
        if (!full && encrypted(summary)) {
            // STORED on an encrypted archive: the SHA-256 of the bytes read back from storage against the SHA-256 of
            // the age bytes as they left (SealedArchive). Equal digests prove the storage holds exactly what was
            // written,
            // which is what STORED proves of a plain archive; decrypting it again here would only re-check this
            // process's own cipher, at the price of a second pass of ChaCha20-Poly1305 (docs/reliability.md).
            String actual = Digests.sha256Hex(archive);
            if (!actual.equals(expectedSha)) {
                throw new IllegalStateException("The stored archive failed verification: archive SHA-256 is " + actual
                        + ", not the " + expectedSha + " of the bytes written");
            }
            return false;
        }
        VerifyJobHandler.Outcome v = VerifyJobHandler.check(archive, expectedSha, full, keys, summary);
        if (!v.report().ok() || !v.archiveShaMatches()) {
            throw new IllegalStateException("The stored archive failed verification: " + v.describe());
        }
        return full;
    }

    /** Whether this run encrypts (its summary's SHA-256 is then of the age bytes, taken as they were written). */
    private boolean encrypted(ArchiveSummary summary) {
        return !settings.encryptTo().isEmpty() && summary.archiveSha256() != null;
    }

    /** The manifest extension naming the encryption: {@code {"format": "age", "recipients": [fingerprints]}}. */
    public static final String ENCRYPTION_EXTENSION = "encryption";

    private static com.fasterxml.jackson.databind.JsonNode encryptionNode(List<AgeRecipient> recipients) {
        com.fasterxml.jackson.databind.node.ObjectNode node =
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        node.put("format", "age");
        com.fasterxml.jackson.databind.node.ArrayNode fps = node.putArray("recipients");
        recipients.forEach(r -> fps.add(r.fingerprint()));
        return node;
    }

    /** This build's version, as the manifest's {@code tools.holdfast} records it. */
    static String version() {
        String v = BackupRun.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
