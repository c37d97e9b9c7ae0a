package dev.holdfast.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.job.Progress;
import dev.holdfast.job.ProgressSink;
import dev.holdfast.job.StopSignal;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.time.TimeSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a backup recorded in the catalog through a {@link BackupRun}: marks the row RUNNING, builds the engine from
 * this installation's configuration and sources, and records the stored archive. Used by the backup job and by
 * a restore for its pre-restore backup; failures are left to the caller ({@link BackupService#fail},
 * {@link BackupService#failRecorded}).
 */
@ApplicationScoped
public class BackupRunner {
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

    @Inject
    Encryption encryption;

    @Inject
    IncrementalChains chains;

    /**
     * Runs the backup recorded as {@code backupId}, which must be QUEUED, and records its outcome on success; its
     * database sessions are named {@code applicationName} (the job's, so that the watchdog can find them).
     */
    public BackupResult run(UUID backupId, ProgressSink progress, StopSignal stop, String applicationName)
            throws Exception {
        Backup b = backups.start(backupId);
        BackupOptions options = mapper.treeToValue(b.options, BackupOptions.class);
        List<String> dbs = BackupService.names(b.databases);
        List<String> media = BackupService.names(b.media);
        // The catalog is read for the bases while the engine walks the media roots: it asks for them after the walk.
        CompletableFuture<Object> bases = options.incremental()
                ? BackgroundWork.start("incremental-bases", () -> chains.basesFor(b, options))
                : CompletableFuture.completedFuture(null);
        BackupRun.Request req = new BackupRun.Request(
                b.id,
                b.name,
                b.backupType,
                b.storageKey,
                dbs,
                media,
                options,
                Map.of(
                        CatalogImport.MANIFEST_EXTENSION,
                        CatalogImport.catalogFacts(b, backups.scheduleNameOf(b), mapper)),
                () -> {
                    try {
                        return (BackupRun.Incremental)
                                BackgroundWork.await(bases, "Finding the backups this one builds on");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        BackupRun run = new BackupRun(storage, settings(), new BackupRun.Sources() {
            @Override
            public PgConnectionInfo database(String name) {
                SourceRegistry.DatabaseSource src = sources.databases().get(name);
                return src == null ? null : src.connectionInfo().withApplicationName(applicationName);
            }

            @Override
            public BackupRun.MediaRoot media(String name) {
                SourceRegistry.MediaSource src = sources.media().get(name);
                return src == null
                        ? null
                        : new BackupRun.MediaRoot(src.name(), src.path(), src.include(), src.exclude());
            }
        });
        run.indexesAhead((sections, indexes) -> chains.recordIndexesAhead(b.id, sections, indexes));
        BackupResult result = run.run(req, progress, stop);
        backups.succeed(b.id, result.archive(), result.summary(), result.verified(), result.mediaIndexes());
        progress.progress(new Progress("done", 100.0, null, null, null, null, null, 0L, "Backup stored and verified"));
        return result;
    }

    /** The engine's settings from {@code holdfast.archive}, {@code holdfast.copy} and {@code holdfast.pg}. */
    BackupRun.Settings settings() throws IOException {
        Path spool = spoolDir();
        PgTools tools = tools();
        int parallelism =
                config.copy().parallelism().orElse(Runtime.getRuntime().availableProcessors());
        return new BackupRun.Settings(
                spool,
                config.archive().maxSize().asLongValue(),
                config.archive().level(),
                ConnectionFactory.driverManager(),
                tools,
                parallelism,
                config.copy().lockTimeout(),
                config.copy().format(),
                BackupRun.PostWriteCheck.valueOf(
                        config.archive().verifyAfterWrite().name()),
                time.clock(),
                encryption.recipients());
    }

    private volatile PgTools tools;

    /** The client tools found at the first backup (discovery runs every installation's --version). */
    private PgTools tools() {
        PgTools t = tools;
        if (t == null) {
            t = tools = PgTools.discover(config.pg().binDir(), config.pg().searchPath());
        }
        return t;
    }

    private Path spoolDir() throws IOException {
        Path dir = Path.of(config.storage().local().root()).resolve(".spool");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir;
    }
}
