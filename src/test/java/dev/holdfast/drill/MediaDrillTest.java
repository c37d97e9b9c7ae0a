package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backup.BackupApiTest;
import dev.holdfast.support.AppDatabase;
import dev.holdfast.support.TestDatabase;
import dev.holdfast.support.TestResources;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Media drills: a full backup's drill restores the database and the media root, reads every file back against
 * the manifest's SHA-256 and records files and bytes per root; a flipped byte in a media entry fails the drill
 * naming the file; nothing is left in the scratch directory either way, and the sweep removes what a killed
 * drill left.
 */
@QuarkusTest
class MediaDrillTest {
    static final Object RESOURCES = TestResources.class;
    static final Path ROOT = Path.of("target/test-media/uploads");
    static final Path SCRATCH = Path.of("target/test-drills");

    @Inject
    DrillJobHandler handler;

    @BeforeEach
    void tree() throws Exception {
        AppDatabase.reset();
        if (Files.exists(ROOT)) {
            try (Stream<Path> s = Files.walk(ROOT)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(ROOT.resolve("photos/2024"));
        Files.createDirectories(ROOT.resolve("empty dir"));
        byte[] photo = new byte[300_000];
        new Random(7).nextBytes(photo);
        Files.write(ROOT.resolve("photos/2024/beach.jpg"), photo);
        Files.writeString(ROOT.resolve("photos/notes ünïcødé.txt"), "hello\n".repeat(1000));
        Files.writeString(ROOT.resolve("readme.txt"), "read me");
        Files.setPosixFilePermissions(ROOT.resolve("readme.txt"), PosixFilePermissions.fromString("r--r-----"));
        Files.setPosixFilePermissions(ROOT.resolve("photos/2024"), PosixFilePermissions.fromString("r-xr-xr-x"));
    }

    static UUID fullBackup() {
        UUID id = BackupApiTest.create("{\"backup_type\":\"full\"}");
        assertThat(BackupApiTest.awaitBackup(id).get("status").asText()).isEqualTo("SUCCEEDED");
        return id;
    }

    static List<Path> leftInScratch() throws Exception {
        if (!Files.exists(SCRATCH)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(SCRATCH)) {
            return s.filter(p -> p.getFileName().toString().startsWith(TestDatabase.DRILL_PREFIX))
                    .toList();
        }
    }

    @Test
    void aFullBackupsDrillRestoresDatabaseAndMediaAndChecksEveryFile() throws Exception {
        UUID backup = fullBackup();
        JsonNode d =
                DrillApiTest.awaitDrill(DrillApiTest.drill("{\"source\":\"app\",\"backup_id\":\"" + backup + "\"}"));
        assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("SUCCEEDED");
        Manifest.MediaSection uploads = ArchiveReader.open(BackupApiTest.STORAGE.resolve(backup + ".tar"))
                .manifest()
                .media()
                .get(0);
        assertThat(uploads.files()).hasSize(3);
        JsonNode media = d.get("media");
        assertThat(media).hasSize(1);
        assertThat(media.get(0).get("source").asText()).isEqualTo("uploads");
        assertThat(media.get(0).get("ok").asBoolean()).isTrue();
        assertThat(media.get(0).get("files").asLong()).isEqualTo(3);
        assertThat(media.get(0).get("bytes").asLong())
                .isEqualTo(uploads.files().stream()
                        .mapToLong(Manifest.MediaFile::size)
                        .sum())
                .isEqualTo(300_000 + 6000 + 7);
        // The database was drilled too.
        assertThat(d.get("tables").toString()).contains("auth_user");
        assertThat(leftInScratch()).isEmpty();
        assertThat(DrillApiTest.scratchDatabases())
                .doesNotContain(d.get("scratch_database").asText());
    }

    @Test
    void aMediaRootIsDrilledOnItsOwnFromAMediaBackup() throws Exception {
        UUID backup = BackupApiTest.create("{\"backup_type\":\"media\"}");
        assertThat(BackupApiTest.awaitBackup(backup).get("status").asText()).isEqualTo("SUCCEEDED");
        // The latest backup holding the root, though it holds no database.
        JsonNode d = DrillApiTest.awaitDrill(DrillApiTest.drill("{\"source\":\"uploads\"}"));
        assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("SUCCEEDED");
        assertThat(d.get("backup_id").asText()).isEqualTo(backup.toString());
        assertThat(d.get("media")).hasSize(1);
        assertThat(d.get("media").get(0).get("files").asLong()).isEqualTo(3);
        assertThat(d.get("media").get(0).get("bytes").asLong()).isEqualTo(300_000 + 6000 + 7);
        assertThat(d.get("tables").isNull()).isTrue();
        assertThat(d.get("recovery_seconds").asDouble()).isPositive();
        assertThat(leftInScratch()).isEmpty();
    }

    @Test
    void aFlippedByteInAMediaEntryFailsTheDrillNamingTheFile() throws Exception {
        UUID backup = fullBackup();
        Path archive = BackupApiTest.STORAGE.resolve(backup + ".tar");
        Manifest m = ArchiveReader.open(archive).manifest();
        String entryName = m.media().get(0).files().stream()
                .filter(f -> f.path().equals("photos/2024/beach.jpg"))
                .findFirst()
                .orElseThrow()
                .entry();
        var entry = m.entry(entryName);
        try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
            long pos = entry.offset() + entry.storedSize() / 2;
            f.seek(pos);
            int v = f.read();
            f.seek(pos);
            f.write(v ^ 0x01);
        }
        JsonNode d =
                DrillApiTest.awaitDrill(DrillApiTest.drill("{\"source\":\"app\",\"backup_id\":\"" + backup + "\"}"));
        assertThat(d.get("status").asText()).as(d.toString()).isEqualTo("FAILED");
        assertThat(d.get("error").asText()).contains("media uploads").contains("photos/2024/beach.jpg");
        assertThat(d.get("media").get(0).get("ok").asBoolean()).isFalse();
        assertThat(leftInScratch()).isEmpty();
        assertThat(DrillApiTest.scratchDatabases())
                .doesNotContain(d.get("scratch_database").asText());
    }

    @Test
    void theSweepRemovesTheDirectoriesOfEndedDrillsOnly() throws Exception {
        ScratchTargets names = new ScratchTargets(TestDatabase.DRILL_PREFIX);
        UUID ended = UUID.randomUUID();
        Path left = SCRATCH.resolve(names.nameOf(ended));
        Path foreign = SCRATCH.resolve(names.nameOf(UUID.randomUUID()));
        Path other = SCRATCH.resolve(TestDatabase.DRILL_PREFIX + "not_a_drill");
        Files.createDirectories(left.resolve("uploads/locked"));
        Files.writeString(left.resolve("uploads/locked/file"), "x");
        Files.setPosixFilePermissions(left.resolve("uploads/locked"), PosixFilePermissions.fromString("r-x------"));
        Files.createDirectories(foreign);
        Files.createDirectories(other);
        AppDatabase.exec(
                TestDatabase.CATALOG_DB,
                "INSERT INTO holdfast.drill_run (id, source, status, trigger, scratch_database, finished_at)"
                        + " VALUES ('" + ended + "', 'app', 'FAILED', 'manual', '" + left.getFileName() + "', now())");
        try {
            // (The start-up sweep may still be running and take it first: what counts is that it is gone.)
            handler.sweep();
            assertThat(left).doesNotExist();
            assertThat(foreign).isDirectory();
            assertThat(other).isDirectory();
        } finally {
            Files.deleteIfExists(foreign);
            Files.deleteIfExists(other);
            AppDatabase.exec(TestDatabase.CATALOG_DB, "DELETE FROM holdfast.drill_run WHERE id = '" + ended + "'");
        }
    }
}
