package dev.holdfast.media;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.archive.ArchiveReader;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file larger than the test JVM's 640 MB heap (pom.xml) goes through backup and restore: both stream. */
class LargeMediaFileTest {
    private static final long SIZE = 700L << 20;

    @TempDir
    Path tmp;

    @Test
    void aFileLargerThanTheHeapRoundTrips() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("media"));
        Path big = root.resolve("big.dat");
        // Mostly zero runs with a random block every MiB: sparse-ish, cheap to compress, still checked byte for byte.
        byte[] block = new byte[1 << 20];
        Random random = new Random(7);
        try (OutputStream out = Files.newOutputStream(big)) {
            for (long done = 0; done < SIZE; done += block.length) {
                java.util.Arrays.fill(block, (byte) 0);
                byte[] noise = new byte[4096];
                random.nextBytes(noise);
                System.arraycopy(noise, 0, block, (int) (done / block.length * 4096 % (block.length - 4096)), 4096);
                out.write(block);
            }
        }
        String sha = MediaTestSupport.sha(big);
        Path archive = tmp.resolve("a.tar");

        MediaBackup.Result r = MediaTestSupport.backup(MediaBackup.of("u", root), archive);
        assertThat(r.section().files().get(0).sha256()).isEqualTo(sha);
        assertThat(r.section().files().get(0).size()).isEqualTo(SIZE);
        Files.delete(big);

        Path restored = tmp.resolve("restored");
        MediaRestore.of(ArchiveReader.open(archive), "u", restored).run();
        assertThat(Files.size(restored.resolve("big.dat"))).isEqualTo(SIZE);
        assertThat(MediaTestSupport.sha(restored.resolve("big.dat"))).isEqualTo(sha);
    }
}
