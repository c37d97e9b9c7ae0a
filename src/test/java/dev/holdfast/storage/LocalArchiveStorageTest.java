package dev.holdfast.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalArchiveStorageTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private long filesIn(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.count();
        }
    }

    @Test
    void anArchiveWrittenBackToDiskWhileBeingWrittenArrivesWhole() throws Exception {
        // Several early write-backs (every WRITE_BACK_EVERY bytes) race the writer, a read-back and an abort.
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("root"), "0600");
        byte[] block = new byte[1 << 20];
        java.security.MessageDigest sent = java.security.MessageDigest.getInstance("SHA-256");
        java.util.Random r = new java.util.Random(5);
        long total = 3 * LocalArchiveStorage.WRITE_BACK_EVERY + 12_345;
        try (WritableArchive w = s.create("big.tar")) {
            for (long done = 0; done < total; ) {
                r.nextBytes(block);
                int n = (int) Math.min(block.length - 7, total - done); // odd sizes cross the marks anywhere
                w.stream().write(block, 0, n);
                sent.update(block, 0, n);
                done += n;
            }
            w.sync();
            w.commit();
        }
        try (InputStream in = s.open("big.tar")) {
            java.security.MessageDigest got = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                got.update(buf, 0, n);
            }
            assertThat(got.digest()).isEqualTo(sent.digest());
        }
        assertThat(s.size("big.tar")).isEqualTo(total);
        try (WritableArchive w = s.create("aborted.tar")) {
            for (int i = 0; i < 70; i++) {
                w.stream().write(block);
            }
            w.abort();
        }
        assertThat(s.exists("aborted.tar")).isFalse();
        assertThat(filesIn(s.root())).isEqualTo(1);
    }

    @Test
    void rootIsCreatedPrivate() throws IOException {
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("a/b"), "0600");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(s.root())))
                .isEqualTo("rwx------");
    }

    @Test
    void commitPublishesA0600FileAndNothingElse() throws IOException {
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("root"), "0600");
        try (WritableArchive w = s.create("b-1.tar")) {
            w.stream().write(bytes("hello archive"));
            assertThat(s.exists("b-1.tar")).as("invisible before commit").isFalse();
            w.commit();
        }
        Path file = s.root().resolve("b-1.tar");
        assertThat(Files.readString(file)).isEqualTo("hello archive");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(filesIn(s.root())).isEqualTo(1);
        assertThat(s.size("b-1.tar")).isEqualTo(13);
        assertThat(s.usedBytes()).isEqualTo(13);
        assertThat(s.keys()).containsExactly("b-1.tar");
        assertThat(s.freeBytes()).isPresent();
        try (InputStream in = s.open("b-1.tar", 6, 7)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("archive");
        }
        assertThatThrownBy(() -> s.open("b-1.tar", 10, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theConfiguredModeIsAppliedDespiteTheUmask() throws IOException {
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("root"), "0640");
        try (WritableArchive w = s.create("k")) {
            w.commit();
        }
        assertThat(PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(s.root().resolve("k"))))
                .isEqualTo("rw-r-----");
        assertThatThrownBy(() -> new LocalArchiveStorage(dir, "0200")).hasMessageContaining("owner read");
        assertThatThrownBy(() -> new LocalArchiveStorage(dir, "rw")).hasMessageContaining("octal");
    }

    @Test
    void abortAndCloseWithoutCommitLeaveNothing() throws IOException {
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("root"), "0600");
        WritableArchive w = s.create("x");
        w.stream().write(new byte[1_000_000]);
        assertThat(filesIn(s.root())).isEqualTo(1);
        w.abort();
        assertThat(filesIn(s.root())).isZero();
        try (WritableArchive w2 = s.create("y")) {
            w2.stream().write(1);
        }
        assertThat(filesIn(s.root())).isZero();
        assertThat(s.exists("x")).isFalse();
        assertThatThrownBy(() -> s.open("x")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void anExistingArchiveIsNeverReplaced() throws IOException {
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("root"), "0600");
        WritableArchive first = s.create("k");
        WritableArchive second = s.create("k");
        first.stream().write(bytes("first"));
        first.commit();
        second.stream().write(bytes("second"));
        assertThatThrownBy(second::commit).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(s.root().resolve("k"))).isEqualTo("first");
        assertThat(filesIn(s.root())).as("the loser's temp is gone").isEqualTo(1);
        assertThatThrownBy(() -> s.create("k")).isInstanceOf(FileAlreadyExistsException.class);
        s.delete("k");
        s.delete("k");
        assertThat(s.exists("k")).isFalse();
    }

    @Test
    void staleTempsAreSweptButFreshOnesAreLeftToTheirWriter() throws IOException {
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("root"), "0600");
        Path stale = Files.writeString(s.root().resolve(".old.tar.tmp-0123456789abcdef"), "junk");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        WritableArchive live = s.create("live.tar");
        live.stream().write(1);
        live.stream().flush();
        Path unrelated = Files.writeString(s.root().resolve(".keepme"), "x");
        Files.setLastModifiedTime(unrelated, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        assertThat(s.cleanupStaleTemps()).isEqualTo(1);
        assertThat(stale).doesNotExist();
        assertThat(unrelated).exists();
        live.commit();
        assertThat(s.exists("live.tar")).isTrue();
    }

    @Test
    void keysThatCouldEscapeTheRootAreRefused() throws IOException {
        LocalArchiveStorage s = new LocalArchiveStorage(dir.resolve("root"), "0600");
        for (String bad : new String[] {"", "../x", "a/b", "..", ".hidden", "a\\b", "a\u0000", "-rf", "a..b"}) {
            assertThatThrownBy(() -> s.create(bad)).as(bad).isInstanceOf(InvalidArchiveKeyException.class);
            assertThatThrownBy(() -> s.open(bad)).as(bad).isInstanceOf(InvalidArchiveKeyException.class);
        }
    }
}
