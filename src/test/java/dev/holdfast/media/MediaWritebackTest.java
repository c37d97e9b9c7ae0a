package dev.holdfast.media;

import static dev.holdfast.media.MediaTestSupport.backup;
import static dev.holdfast.media.MediaTestSupport.leftovers;
import static dev.holdfast.media.MediaTestSupport.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveReader;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Large staged files flushed while the restore goes on ({@link MediaDurability.Writeback}), and its failures. */
class MediaWritebackTest {
    private static final long MIB = MediaDurability.Writeback.FROM_BYTES;

    @TempDir
    Path tmp;

    Path root;
    Path archive;

    @BeforeEach
    void backUpLargeAndSmallFiles() throws Exception {
        root = Files.createDirectories(tmp.resolve("src"));
        Files.createDirectories(root.resolve("video"));
        Random rnd = new Random(3);
        write("video/a.bin", 3 * MIB + 17, rnd);
        write("video/b.bin", 2 * MIB, rnd);
        write("exactly-1MiB.bin", MIB, rnd);
        write("just-under.bin", MIB - 1, rnd);
        write("small.txt", 4_000, rnd);
        // A large file its owner may not even read: flushed through the channel it was written by.
        write("video/sealed.bin", MIB + 5, rnd);
        Files.setPosixFilePermissions(root.resolve("video/sealed.bin"), PosixFilePermissions.fromString("-w-------"));
        archive = tmp.resolve("a.tar");
        backup(MediaBackup.of("u", root).parallelism(2), archive);
    }

    private void write(String path, long size, Random rnd) throws IOException {
        byte[] b = new byte[Math.toIntExact(size)];
        rnd.nextBytes(b);
        Files.write(root.resolve(path), b);
    }

    private MediaRestore restore(Path target) throws IOException {
        return MediaRestore.of(ArchiveReader.open(archive), "u", target);
    }

    @Test
    void everyFileOfAMiBOrMoreIsFlushedOnceBeforeTheSyncAndTheTreeIsExact() throws Exception {
        Path target = tmp.resolve("restored");
        ConcurrentLinkedQueue<String> flushed = new ConcurrentLinkedQueue<>();
        List<List<String>> atSync = new ArrayList<>();
        restore(target)
                .earlyFlush((file, channel) -> {
                    assertThat(channel.isOpen()).isTrue();
                    assertThat(channel.size()).as(file.toString()).isGreaterThanOrEqualTo(MIB);
                    channel.force(false);
                    flushed.add(file.getFileName().toString());
                })
                .durability(staging -> {
                    atSync.add(flushed.stream().sorted().toList());
                    MediaDurability.sync(staging);
                })
                .run();

        assertThat(atSync).containsExactly(List.of("a.bin", "b.bin", "exactly-1MiB.bin", "sealed.bin"));
        assertThat(snapshot(target)).isEqualTo(snapshot(root));
    }

    @Test
    void aFailedEarlyFlushFailsTheRestoreNamingTheFileAndLeavesTheTargetUntouched() throws Exception {
        Path live = Files.createDirectories(tmp.resolve("live"));
        Files.writeString(live.resolve("keep.txt"), "the target as it was");
        Map<String, String> before = snapshot(live);
        for (MediaRestore.Mode mode : MediaRestore.Mode.values()) {
            assertThatThrownBy(() -> restore(live)
                            .mode(mode)
                            .earlyFlush((file, channel) -> {
                                if (file.endsWith("video/b.bin")) {
                                    throw new IOException("fdatasync: Input/output error");
                                }
                                channel.force(false);
                            })
                            .run())
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("video/b.bin did not reach the disk")
                    .hasMessageContaining("Input/output error");
            assertThat(snapshot(live)).isEqualTo(before);
            assertThat(leftovers(tmp)).isEmpty();
        }
    }

    @Test
    void withoutFsyncNothingIsFlushedEarly() throws Exception {
        Path target = tmp.resolve("restored");
        ConcurrentLinkedQueue<Path> flushed = new ConcurrentLinkedQueue<>();
        restore(target)
                .fsync(false)
                .earlyFlush((file, channel) -> flushed.add(file))
                .run();
        assertThat(flushed).isEmpty();
        assertThat(snapshot(target)).isEqualTo(snapshot(root));
    }

    @Test
    void atMostQueuedFilesWaitAndClosingClosesTheChannelsNeverFlushed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        MediaDurability.Writeback writeback = new MediaDurability.Writeback((file, channel) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException("stopped");
            }
        });
        List<FileChannel> channels = new ArrayList<>();
        for (int i = 0; i < MediaDurability.Writeback.QUEUED + 4; i++) {
            channels.add(
                    FileChannel.open(tmp.resolve("f" + i), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        }
        AtomicReference<Throwable> handing = new AtomicReference<>();
        List<Boolean> taken = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread worker = new Thread(() -> {
            try {
                for (int i = 0; i < channels.size(); i++) {
                    taken.add(writeback.written(tmp.resolve("f" + i), channels.get(i), MIB));
                }
            } catch (Throwable t) {
                handing.set(t);
            }
        });
        worker.start();
        for (int i = 0; i < 500 && worker.getState() != Thread.State.WAITING; i++) {
            Thread.sleep(10);
        }
        assertThat(worker.getState()).isEqualTo(Thread.State.WAITING);
        assertThat(taken).hasSize(MediaDurability.Writeback.QUEUED).containsOnly(true);

        writeback.close(); // a failed restore: the flush under way is stopped, the queued channels closed
        worker.interrupt(); // as MediaStaging's pool does to its workers
        worker.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(worker.isAlive()).isFalse();
        // The worker's wait ended, by the interrupt or by the room freed; anything offered after close is refused.
        if (handing.get() != null) {
            assertThat(handing.get()).isInstanceOf(InterruptedIOException.class);
        }
        assertThat(taken.subList(0, MediaDurability.Writeback.QUEUED)).containsOnly(true);
        assertThat(taken.subList(MediaDurability.Writeback.QUEUED, taken.size()))
                .as("none taken after close (none offered when the interrupt came first)")
                .doesNotContain(true);
        for (int i = 0; i < channels.size(); i++) {
            assertThat(channels.get(i).isOpen())
                    .as("channel %d: closed if handed over, else its writer's to close", i)
                    .isEqualTo(i >= MediaDurability.Writeback.QUEUED);
        }
        channels.forEach(c -> {
            try {
                c.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        release.countDown();
    }
}
