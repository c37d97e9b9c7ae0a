package dev.holdfast.restore;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.ReferencedArchives;
import dev.holdfast.job.Progress;
import dev.holdfast.job.ProgressScale;
import dev.holdfast.job.ProgressSink;
import dev.holdfast.job.StopSignal;
import dev.holdfast.media.MediaRestore;
import dev.holdfast.pg.AbortableConnections;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.PgTools;
import dev.holdfast.source.SourceRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * One restore as a plain engine: takes the pre-restore backup (through a {@link PreBackup} the caller supplies),
 * restores each database in one validated transaction (or, clean into an absent or empty one, in a staging
 * database renamed into place) and each media root through staging and swap, and returns what it did. Nothing is
 * changed before the pre-restore backup is stored. It knows nothing of the catalog or the job queue.
 *
 * <p>One instance runs once: {@link #soFar()} tells, after a failure, what had been learnt until then.
 */
public final class RestoreRun {
    /** Percent of a restore's progress scale that its pre-restore backup fills. */
    static final double PRE_BACKUP_SHARE = 30.0;

    /**
     * How this installation restores.
     *
     * @param pgBinDir where pg_dump's tools are, or empty to search {@code pgSearchPath} and the PATH
     * @param parallelism connections a staged clean restore loads over
     */
    public record Settings(Optional<Path> pgBinDir, List<String> pgSearchPath, int parallelism) {
        /** With the default search path for client tools ({@link PgTools#DEFAULT_SEARCH_PATH}). */
        public Settings(Optional<Path> pgBinDir, int parallelism) {
            this(pgBinDir, PgTools.DEFAULT_SEARCH_PATH, parallelism);
        }
    }

    /**
     * Looks sources up by name; null when not configured here.
     */
    public interface Sources {
        PgConnectionInfo database(String name);

        /** The configured media root (its include/exclude filters limit what a restore may touch). */
        SourceRegistry.MediaSource media(String name);
    }

    /** Backs up what the restore will change, before it changes anything; throws when that failed. */
    @FunctionalInterface
    public interface PreBackup {
        void take(List<String> databases, List<String> media, ProgressSink progress) throws Exception;
    }

    /**
     * What to restore.
     *
     * @param restoreId names the staging databases, so that a later clean-up finds them
     * @param request the normalised request
     * @param reader the archive, opened
     * @param databases where each database source goes, resolved just before the run
     * @param media where each media root goes, resolved just before the run
     */
    public record Request(
            UUID restoreId,
            RestoreRequest request,
            ArchiveReader reader,
            List<RestoreTargets.DatabaseTarget> databases,
            List<RestoreTargets.MediaTarget> media,
            ReferencedArchives references) {
        public Request {
            databases = List.copyOf(databases);
            media = List.copyOf(media);
            references = references == null ? ReferencedArchives.none() : references;
        }

        /** A restore of a self-contained archive (any reference to another archive is refused). */
        public Request(
                UUID restoreId,
                RestoreRequest request,
                ArchiveReader reader,
                List<RestoreTargets.DatabaseTarget> databases,
                List<RestoreTargets.MediaTarget> media) {
            this(restoreId, request, reader, databases, media, null);
        }
    }

    private final Settings settings;
    private final Sources sources;
    private final PreBackup preBackup;
    private volatile RestoreResult result = RestoreResult.empty();

    public RestoreRun(Settings settings, Sources sources, PreBackup preBackup) {
        this.settings = settings;
        this.sources = sources;
        this.preBackup = preBackup;
    }

    /** What the run had done when it returned or threw (a dry run's or a failed validation's report, say). */
    public RestoreResult soFar() {
        return result;
    }

    /** Runs the restore; on failure {@link #soFar()} holds the report up to that point. */
    public RestoreResult run(Request request, ProgressSink progress, StopSignal stop) throws Exception {
        RestoreRequest req = request.request();
        // One percent scale for the run: the pre-restore backup fills its first part, the restore the rest.
        ProgressScale scale = new ProgressScale(progress);
        boolean pre =
                !req.dryRun() && req.createPreBackup() && preBackupOrRefuse(request, scale.sink(0, PRE_BACKUP_SHARE));
        if (!req.dryRun() && !req.createPreBackup()) {
            result = result.withPreBackup("skipped: create_pre_backup is false");
        }
        double start = pre ? PRE_BACKUP_SHARE : 0;
        double share = (100.0 - start)
                / Math.max(1, request.databases().size() + request.media().size());
        int part = 0;
        stop.checkpoint();

        int parallelism = settings.parallelism();
        // Every connection of the restore closes at once when the run is asked to stop, so that a cancel
        // also ends a statement waiting on the server (a lock, an index build).
        AbortableConnections connections = new AbortableConnections(ConnectionFactory.driverManager());
        try (StopSignal.Registration stopRegistration = stop.onStop(connections::abortAll)) {
            // The newest installation: pg_restore reads archives of every older pg_dump. Discovered only when a
            // database is restored: it runs each installation's tools (about 90 ms), which media never need.
            DatabaseRestore engine = request.databases().isEmpty()
                    ? null
                    : new DatabaseRestore(
                                    connections,
                                    PgTools.discover(settings.pgBinDir(), settings.pgSearchPath()),
                                    parallelism)
                            .stagedClean(parallelism, request.restoreId());
            RestoreOptions options = new RestoreOptions(
                    "clean".equals(req.restoreMode()) ? RestoreOptions.Mode.CLEAN : RestoreOptions.Mode.REPLACE,
                    new HashSet<>(req.tables()),
                    req.includeReferencing(),
                    req.dryRun());
            // A staged clean restore creates a missing target by renaming its validated staging database into
            // place, so that no half-restored database ever carries the target's name.
            boolean staged = options.mode() == RestoreOptions.Mode.CLEAN
                    && !req.dryRun()
                    && req.tables().isEmpty()
                    && parallelism >= 2;
            if (!request.databases().isEmpty()
                    && !request.media().isEmpty()
                    && !Boolean.FALSE.equals(req.verifyBeforeRestore())) {
                // Databases commit before media are extracted: check the media entries' stored bytes first, so
                // that a damaged media entry (or, in an encrypted archive, a damaged chunk under it) fails the
                // restore before any database is touched.
                Map<String, List<String>> byArchive = mediaEntries(request);
                for (Map.Entry<String, List<String>> e : byArchive.entrySet()) {
                    DatabaseRestore.checkStoredEntries(
                            e.getKey().isEmpty()
                                    ? request.reader()
                                    : request.references().open(e.getKey()),
                            e.getValue(),
                            parallelism,
                            stop::checkpoint);
                }
            }
            for (RestoreTargets.DatabaseTarget dbTarget : request.databases()) {
                restoreDatabase(
                        request,
                        dbTarget,
                        engine,
                        options,
                        staged,
                        scale.sink(start + share * part, start + share * ++part),
                        stop);
            }
            for (RestoreTargets.MediaTarget mediaTarget : request.media()) {
                restoreMedia(request, mediaTarget, scale.sink(start + share * part, start + share * ++part), stop);
            }
        }
        return result;
    }

    /**
     * The entries of every media file in the media sections this restore extracts, by the archive that holds them:
     * {@code ""} for this one, else the backup id of a referenced archive.
     */
    private static Map<String, List<String>> mediaEntries(Request request) {
        java.util.Set<String> sources = new HashSet<>();
        request.media().forEach(t -> sources.add(t.source()));
        // Sets: the members of a pack share its entry, which is checked once.
        Map<String, java.util.Set<String>> entries = new java.util.TreeMap<>();
        for (dev.holdfast.archive.Manifest.MediaSection m :
                request.reader().manifest().media()) {
            if (sources.contains(m.source())) {
                m.files()
                        .forEach(f -> entries.computeIfAbsent(
                                        f.storedIn() == null ? "" : f.storedIn(), k -> new java.util.LinkedHashSet<>())
                                .add(f.entry()));
            }
        }
        Map<String, List<String>> out = new java.util.TreeMap<>();
        entries.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }

    private void restoreDatabase(
            Request request,
            RestoreTargets.DatabaseTarget dbTarget,
            DatabaseRestore engine,
            RestoreOptions options,
            boolean staged,
            ProgressSink pc,
            StopSignal stop)
            throws Exception {
        RestoreRequest req = request.request();
        String name = dbTarget.source();
        Manifest.DatabaseSection section = request.reader().manifest().databases().stream()
                .filter(d -> d.source().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("The archive has no database " + name));
        PgConnectionInfo src = sources.database(name);
        if (src == null) {
            throw new IllegalStateException(
                    "Database source '" + name + "' is not configured here, so " + "there is nowhere to restore it");
        }
        PgConnectionInfo info = dbTarget.info();
        if (req.target() != null) {
            ensureDatabase(src, req.target(), req.createTarget(), staged);
        }
        String label = name + (req.target() == null ? "" : " into " + req.target());
        pc.progress(Progress.phase("verify", "Verifying the entries of " + label));
        RestoreReport r = engine.run(
                request.reader(),
                section,
                info,
                options,
                p -> pc.progress(new Progress(
                        p.phase(),
                        null,
                        p.bytesDone(),
                        p.bytesTotal(),
                        (long) p.tablesDone(),
                        (long) p.tablesTotal(),
                        p.table() == null ? null : name + ":" + p.table(),
                        null,
                        "Restoring " + label + " (" + p.rowsDone() + " of " + p.rowsTotal() + " rows)")),
                stop::checkpoint);
        result = result.with(RestoreResult.DatabaseResult.of(r, req.target() == null ? name : req.target()));
        if (!r.ok() && !req.dryRun()) {
            throw new IllegalStateException("Restore of " + label + " failed validation: " + r.errors());
        }
    }

    private void restoreMedia(Request request, RestoreTargets.MediaTarget mediaTarget, ProgressSink mc, StopSignal stop)
            throws Exception {
        RestoreRequest req = request.request();
        String name = mediaTarget.source();
        Path target = mediaTarget.path();
        MediaRestore mr = MediaRestore.of(request.reader(), name, target).references(request.references());
        // What the backup's root and the target's root leave out of their backups (so out of any
        // pre-restore backup too) is out of the restore's reach: never removed, never overwritten.
        for (SourceRegistry.MediaSource filters :
                new SourceRegistry.MediaSource[] {sources.media(name), mediaTarget.asSource()}) {
            if (filters != null) {
                mr.keepExcluded(filters.include(), filters.exclude());
            }
        }
        mr.mode("merge".equals(req.mediaMode()) ? MediaRestore.Mode.MERGE : MediaRestore.Mode.REPLACE)
                .selectPrefixes(req.mediaPaths())
                .selectGlobs(req.mediaGlobs())
                .checkpoint(stop::checkpoint)
                .progress(p -> mc.progress(new Progress(
                        "media",
                        null,
                        p.bytesDone(),
                        p.bytesTotal(),
                        p.filesDone(),
                        p.filesTotal(),
                        p.currentFile() == null ? null : name + ":" + p.currentFile(),
                        null,
                        "Restoring media root " + name)));
        if (req.dryRun()) {
            result = result.with(RestoreResult.MediaResult.of(name, target.toString(), mr.dryRun(), null));
        } else {
            MediaRestore.Result res = mr.run();
            result = result.with(RestoreResult.MediaResult.of(name, target.toString(), res.plan(), res.warnings()));
        }
    }

    /**
     * Backs up every target that is a configured source (by what it is, not by what the request called it) and
     * refuses, before anything is changed, a target that holds data no pre-restore backup can cover.
     *
     * @return whether a pre-restore backup was taken
     */
    private boolean preBackupOrRefuse(Request request, ProgressSink progress) throws Exception {
        List<String> preDbs = new ArrayList<>();
        List<String> preMedia = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        for (RestoreTargets.DatabaseTarget t : request.databases()) {
            if (t.needsUncoveredChange()) {
                throw new IllegalStateException(
                        RestoreService.uncovered("database '" + t.database() + "'") + "; nothing was changed");
            }
            if (t.asSource() != null && t.exists()) {
                if (!preDbs.contains(t.asSource())) {
                    preDbs.add(t.asSource());
                }
            } else {
                empty.add("database " + t.database());
            }
        }
        for (RestoreTargets.MediaTarget t : request.media()) {
            if (t.needsUncoveredChange()) {
                throw new IllegalStateException(
                        RestoreService.uncovered("media directory " + t.path()) + "; nothing was changed");
            }
            if (t.asSource() != null && Files.isDirectory(t.path())) {
                if (!preMedia.contains(t.asSource().name())) {
                    preMedia.add(t.asSource().name());
                }
            } else {
                empty.add("media directory " + t.path());
            }
        }
        if (!empty.isEmpty()) {
            result = result.withPreBackup("skipped for " + String.join(", ", empty) + ": held no data");
        }
        if (preDbs.isEmpty() && preMedia.isEmpty()) {
            return false;
        }
        preBackup.take(preDbs, preMedia, progress);
        return true;
    }

    private static void ensureDatabase(PgConnectionInfo source, String name, boolean create, boolean deferCreation)
            throws Exception {
        try (Connection c = source.open(ConnectionFactory.driverManager())) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            if (!create) {
                throw new IllegalStateException(
                        "Target database " + name + " does not exist; set create_target " + "to create it");
            }
            if (deferCreation && reachable(source.withDatabase(DatabaseRestore.MAINTENANCE_DB))) {
                return;
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + PgNames.quoteIdent(name));
            }
        }
    }

    private static boolean reachable(PgConnectionInfo db) {
        try (Connection c = db.open(ConnectionFactory.driverManager())) {
            return true;
        } catch (java.sql.SQLException e) {
            return false;
        }
    }
}
