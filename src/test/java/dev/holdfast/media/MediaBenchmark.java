package dev.holdfast.media;

import dev.holdfast.archive.ArchiveReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Media backup and restore against {@code tar --zstd} and {@code tar czf} on a generated tree (a third random
 * bytes like photos, the rest text); prints figures, asserts nothing. Run with
 * {@code ./mvnw -o test -Dtest=MediaBenchmark -Dholdfast.bench=true} ({@code -Dholdfast.bench.mb=250}).
 */
@EnabledIfSystemProperty(named = "holdfast.bench", matches = "true")
class MediaBenchmark {
    @TempDir
    Path tmp;

    @Test
    void backupAndRestoreAgainstTar() throws Exception {
        long total = Long.getLong("holdfast.bench.mb", 250) << 20;
        Path root = generate(tmp.resolve("tree"), total);
        sh("sync");
        // One untimed run warms the JIT and the page cache for every contender alike.
        MediaTestSupport.backup(MediaBackup.of("u", root), tmp.resolve("warm.tar"));
        Files.delete(tmp.resolve("warm.tar"));

        double tarZstd = time(
                () -> sh("tar", "--zstd", "-cf", tmp.resolve("t.tar.zst").toString(), "-C", tmp.toString(), "tree"));
        double tarGz = time(() -> sh("tar", "czf", tmp.resolve("t.tgz").toString(), "-C", tmp.toString(), "tree"));
        double[] ours = new double[3];
        for (int i = 0; i < ours.length; i++) {
            Path a = tmp.resolve("h" + i + ".tar");
            ours[i] = time(() -> MediaTestSupport.backup(MediaBackup.of("u", root), a));
        }
        java.util.Arrays.sort(ours);
        double oursOne =
                time(() -> MediaTestSupport.backup(MediaBackup.of("u", root).parallelism(1), tmp.resolve("h1t.tar")));
        Files.createDirectories(tmp.resolve("x1"));
        double untarZstd = time(() -> sh(
                "tar",
                "--zstd",
                "-xf",
                tmp.resolve("t.tar.zst").toString(),
                "-C",
                tmp.resolve("x1").toString()));
        double restore = time(() -> MediaRestore.of(ArchiveReader.open(tmp.resolve("h0.tar")), "u", tmp.resolve("x2"))
                .fsync(false)
                .run());
        double restoreSync =
                time(() -> MediaRestore.of(ArchiveReader.open(tmp.resolve("h0.tar")), "u", tmp.resolve("x3"))
                        .run());

        System.out.printf(
                "%n== media benchmark: %d MB tree, %d cores ==%n",
                total >> 20, Runtime.getRuntime().availableProcessors());
        System.out.printf("tar --zstd -cf      %6.2f s  %8d bytes%n", tarZstd, Files.size(tmp.resolve("t.tar.zst")));
        System.out.printf("tar czf             %6.2f s  %8d bytes%n", tarGz, Files.size(tmp.resolve("t.tgz")));
        System.out.printf(
                "holdfast backup     %6.2f s (median of 3: %.2f %.2f %.2f)  %8d bytes  = %.2fx tar --zstd, "
                        + "%.2fx tar czf%n",
                ours[1],
                ours[0],
                ours[1],
                ours[2],
                Files.size(tmp.resolve("h0.tar")),
                ours[1] / tarZstd,
                ours[1] / tarGz);
        System.out.printf("holdfast backup, 1 thread %6.2f s = %.2fx tar --zstd%n", oursOne, oursOne / tarZstd);
        System.out.printf("tar --zstd -xf      %6.2f s%n", untarZstd);
        System.out.printf("holdfast restore    %6.2f s without fsync, %.2f s with fsync%n", restore, restoreSync);
    }

    private static Path generate(Path root, long total) throws Exception {
        Random random = new Random(42);
        long done = 0;
        long randomBytes = 0;
        int n = 0;
        byte[] buf = new byte[1 << 20];
        String[] words =
                "the quick brown fox jumps over a lazy dog while backups run at night and nobody notices".split(" ");
        while (done < total) {
            Path dir = Files.createDirectories(root.resolve("d" + (n % 16)).resolve("e" + (n % 5)));
            // A third of the bytes (not of the files) are random, like photos; the rest is text.
            boolean photo = randomBytes * 3 < done;
            int size = photo ? 100_000 + random.nextInt(1_500_000) : 2_000 + random.nextInt(600_000);
            Path f = dir.resolve("f" + n + (photo ? (n % 2 == 0 ? ".jpg" : ".raw") : ".txt"));
            try (OutputStream out = Files.newOutputStream(f)) {
                int left = size;
                if (photo) {
                    while (left > 0) {
                        random.nextBytes(buf);
                        out.write(buf, 0, Math.min(left, buf.length));
                        left -= buf.length;
                    }
                } else {
                    StringBuilder b = new StringBuilder();
                    while (b.length() < size) {
                        b.append(n).append(',').append(random.nextInt(100000)).append(',');
                        for (int w = 0; w < 8; w++) {
                            b.append(words[random.nextInt(words.length)]).append(' ');
                        }
                        b.append('\n');
                    }
                    out.write(b.substring(0, size).getBytes(StandardCharsets.US_ASCII));
                }
            }
            done += size;
            randomBytes += photo ? size : 0;
            n++;
        }
        return root;
    }

    private interface Work {
        void run() throws Exception;
    }

    private static double time(Work w) throws Exception {
        long t = System.nanoTime();
        w.run();
        return (System.nanoTime() - t) / 1e9;
    }

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }
}
