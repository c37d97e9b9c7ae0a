package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveSource;
import dev.holdfast.backup.BackupOptions;
import dev.holdfast.backup.BackupResult;
import dev.holdfast.backup.BackupRun;
import dev.holdfast.backup.BackupSummary;
import dev.holdfast.backup.BackupType;
import dev.holdfast.job.Progress;
import dev.holdfast.job.ProgressSink;
import dev.holdfast.job.StopSignal;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.CopyStreamer;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.pg.PgTools;
import dev.holdfast.source.SourceRegistry;
import dev.holdfast.storage.LocalArchiveStorage;
import dev.holdfast.support.AppDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the backup and restore engines as the CLI or a restore drill would: no Quarkus, no catalog, no job queue,
 * only storage on disk and the real PostgreSQL.
 */
class EnginesWithoutQuarkusTest {
    @TempDir
    Path dir;

    private final List<Progress> seen = new CopyOnWriteArrayList<>();
    private final ProgressSink progress = seen::add;

    private BackupRun backupRun(LocalArchiveStorage storage, PgConnectionInfo app) throws Exception {
        Path spool = Files.createDirectories(dir.resolve("spool"));
        BackupRun.Settings settings = new BackupRun.Settings(
                spool,
                Long.MAX_VALUE,
                OptionalInt.empty(),
                ConnectionFactory.driverManager(),
                PgTools.locate(Optional.empty()),
                2,
                Duration.ofSeconds(10),
                CopyStreamer.Format.TEXT,
                BackupRun.PostWriteCheck.FULL,
                java.time.Clock.systemUTC());
        return new BackupRun(storage, settings, new BackupRun.Sources() {
            @Override
            public PgConnectionInfo database(String name) {
                return "app".equals(name) ? app : null;
            }

            @Override
            public BackupRun.MediaRoot media(String name) {
                return null;
            }
        });
    }

    private static BackupRun.Request backupOf(String key) {
        return new BackupRun.Request(
                UUID.randomUUID(),
                key,
                BackupType.DATABASE,
                key,
                List.of("app"),
                List.of(),
                new BackupOptions("zstd", null, null, null, null, null, null, null, null));
    }

    private static RestoreRun.Sources sources(PgConnectionInfo app) {
        return new RestoreRun.Sources() {
            @Override
            public PgConnectionInfo database(String name) {
                return "app".equals(name) ? app : null;
            }

            @Override
            public SourceRegistry.MediaSource media(String name) {
                return null;
            }
        };
    }

    @Test
    void backupRunAndRestoreRunCopyEveryRowWithoutTheQueue() throws Exception {
        LocalArchiveStorage storage = new LocalArchiveStorage(Files.createDirectories(dir.resolve("store")), "0600");
        try (RestoreTestDb source = RestoreTestDb.create();
                RestoreTestDb target = RestoreTestDb.absent()) {
            AppDatabase.load(source.name);
            Map<String, String> hashes = AppDatabase.tableHashes(source.name);

            BackupResult backup =
                    backupRun(storage, source.info).run(backupOf("engines.tar"), progress, StopSignal.never());
            assertThat(backup.verified()).isTrue();
            assertThat(backup.archive().archiveBytes()).isEqualTo(storage.size("engines.tar"));
            assertThat(backup.summary().postWriteCheck()).isEqualTo("full");
            BackupSummary.DatabaseResult db = backup.summary().databases().get(0);
            assertThat(db.source()).isEqualTo("app");
            assertThat(db.tableCount()).isEqualTo(db.tables().size()).isGreaterThan(5);
            assertThat(db.rows())
                    .isEqualTo(db.tables().stream()
                            .mapToLong(BackupSummary.TableResult::rows)
                            .sum())
                    .isPositive();
            assertThat(db.tables()).allSatisfy(t -> assertThat(t.sha256()).hasSize(64));
            assertThat(seen).extracting(Progress::phase).contains("snapshot", "copy", "verify", "store");

            // A clean restore into a new database, with no pre-restore backup: nothing there to cover.
            RestoreRequest clean = new RestoreRequest(
                    "clean",
                    false,
                    true,
                    null,
                    false,
                    List.of(),
                    false,
                    List.of("app"),
                    target.name,
                    true,
                    false,
                    "replace",
                    List.of(),
                    List.of(),
                    null);
            RestoreTargets.DatabaseTarget into = new RestoreTargets.DatabaseTarget(
                    "app", source.info.withDatabase(target.name), target.name, null, false, false);
            RestoreRun run = new RestoreRun(
                    new RestoreRun.Settings(Optional.empty(), 2), sources(source.info), (dbs, media, p) -> {
                        throw new AssertionError("no pre-restore backup was asked for");
                    });
            ArchiveReader reader = ArchiveReader.open(ArchiveSource.of(storage, "engines.tar"));
            RestoreResult restored = run.run(
                    new RestoreRun.Request(UUID.randomUUID(), clean, reader, List.of(into), List.of()),
                    progress,
                    StopSignal.never());
            assertThat(AppDatabase.tableHashes(target.name)).isEqualTo(hashes);
            assertThat(restored.preBackup()).isEqualTo("skipped: create_pre_backup is false");
            assertThat(restored.databases()).singleElement().satisfies(d -> {
                assertThat(d.target()).isEqualTo(target.name);
                assertThat(d.committed()).isTrue();
                assertThat(d.rowsLoaded()).isEqualTo(db.rows());
            });
            assertThat(run.soFar()).isEqualTo(restored);
        }
    }

    @Test
    void aRestoreTakesItsPreRestoreBackupAsABackupRun() throws Exception {
        LocalArchiveStorage storage = new LocalArchiveStorage(Files.createDirectories(dir.resolve("store")), "0600");
        try (RestoreTestDb source = RestoreTestDb.create()) {
            AppDatabase.load(source.name);
            Map<String, String> before = AppDatabase.tableHashes(source.name);
            BackupRun backups = backupRun(storage, source.info);
            backups.run(backupOf("before.tar"), progress, StopSignal.never());
            // The rows change after the backup; the restore puts them back, and its pre-restore backup keeps them.
            AppDatabase.exec(
                    source.name,
                    "CREATE TABLE public.added_later (id int)",
                    "INSERT INTO public.added_later " + "VALUES (1), (2)");
            Map<String, String> changed = AppDatabase.tableHashes(source.name);
            assertThat(changed).isNotEqualTo(before);

            List<BackupResult> pre = new ArrayList<>();
            RestoreRun run = new RestoreRun(
                    new RestoreRun.Settings(Optional.empty(), 2), sources(source.info), (dbs, media, p) -> {
                        assertThat(dbs).containsExactly("app");
                        assertThat(media).isEmpty();
                        pre.add(backups.run(backupOf("pre.tar"), p, StopSignal.never()));
                    });
            RestoreRequest cleanOwn = new RestoreRequest(
                    "clean",
                    true,
                    true,
                    null,
                    false,
                    List.of(),
                    false,
                    List.of("app"),
                    null,
                    false,
                    false,
                    "replace",
                    List.of(),
                    List.of(),
                    null);
            RestoreTargets.DatabaseTarget own =
                    new RestoreTargets.DatabaseTarget("app", source.info, source.name, "app", true, true);
            List<Progress> restoreProgress = new CopyOnWriteArrayList<>();
            ArchiveReader reader = ArchiveReader.open(ArchiveSource.of(storage, "before.tar"));
            run.run(
                    new RestoreRun.Request(UUID.randomUUID(), cleanOwn, reader, List.of(own), List.of()),
                    restoreProgress::add,
                    StopSignal.never());
            // A clean restore recreates the archive's objects; a table the archive does not hold is left alone.
            Map<String, String> after = new java.util.TreeMap<>(AppDatabase.tableHashes(source.name));
            assertThat(after.remove("public.added_later")).isNotNull();
            assertThat(after).isEqualTo(before);
            assertThat(pre)
                    .singleElement()
                    .satisfies(r -> assertThat(r.summary().databases().get(0).tables())
                            .anySatisfy(t -> assertThat(t.name()).isEqualTo("added_later")));
            // The pre-restore backup filled the first part of the restore's percent scale, which never goes back.
            assertThat(restoreProgress)
                    .filteredOn(p -> "copy".equals(p.phase()))
                    .allSatisfy(p -> assertThat(p.percent()).isLessThanOrEqualTo(RestoreRun.PRE_BACKUP_SHARE));
            List<Double> percents =
                    restoreProgress.stream().map(Progress::percent).toList();
            assertThat(percents).isNotEmpty().isSorted();
        }
    }
}
