package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/** The archive opens with tar, zstd, gzip and sha256sum alone, as docs/archive-format.md promises. */
class StandardToolsTest {
    @TempDir
    Path dir;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Codec.class)
    void tarZstdGzipAndSha256sumReadTheArchive(Codec manifestCodec) throws Exception {
        assumeTrue(onPath("tar") && onPath("sh") && onPath("sha256sum"), "tar, sh and sha256sum are needed");
        Path archive = dir.resolve("backup.tar");
        byte[] zstdData = TestData.bytes(11, 800_000, 60);
        byte[] gzipData = TestData.bytes(12, 300_000, 60);
        byte[] rawData = TestData.bytes(13, 5_000, 0);
        String zName = EntryNames.tableData("main", "public", "order items", Codec.ZSTD);
        String gName = EntryNames.tableData("main", "sales", "line.items", Codec.GZIP);
        String mName = EntryNames.mediaFile("uploads", "2024/05/résumé final.pdf", Codec.NONE);
        try (OutputStream out = Files.newOutputStream(archive);
                ArchiveWriter w = new ArchiveWriter(out, ArchiveWriter.Options.defaults(dir, 1L << 30))) {
            w.addEntry(zName, EntryInfo.KIND_TABLE_DATA, Codec.ZSTD, new ByteArrayInputStream(zstdData));
            w.addEntry(gName, EntryInfo.KIND_TABLE_DATA, Codec.GZIP, new ByteArrayInputStream(gzipData));
            w.addEntry(mName, EntryInfo.KIND_MEDIA_FILE, Codec.NONE, new ByteArrayInputStream(rawData));
            summary = w.finish(Manifest.of("b", "n", "full", Instant.now()), manifestCodec);
        }
        String manifest = EntryNames.manifest(manifestCodec);

        Result list = run(dir, "tar", "-tf", archive.toString());
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out().lines().toList()).containsExactly(zName, gName, mName, manifest, manifest + ".sha256");
        assertThat(list.err()).as("tar has no complaints").isEmpty();

        if (onPath("zstd")) {
            Result z = run(dir, "sh", "-c", "tar -xOf \"$0\" \"$1\" | zstd -dc", archive.toString(), zName);
            assertThat(z.exit()).as(z.err()).isZero();
            assertThat(z.bytes()).isEqualTo(zstdData);
        }
        Result g = run(dir, "sh", "-c", "tar -xOf \"$0\" \"$1\" | gzip -dc", archive.toString(), gName);
        assertThat(g.exit()).as(g.err()).isZero();
        assertThat(g.bytes()).isEqualTo(gzipData);

        Path out = Files.createDirectory(dir.resolve("extracted"));
        Result x = run(out, "tar", "-xf", archive.toString());
        assertThat(x.exit()).as(x.err()).isZero();
        assertThat(Files.readAllBytes(out.resolve(mName))).isEqualTo(rawData);
        assertThat(Files.getPosixFilePermissions(out.resolve(mName)))
                .containsExactlyInAnyOrderElementsOf(PosixFilePermissions.fromString("rw-------"));
        Result check = run(out, "sha256sum", "-c", manifest + ".sha256");
        assertThat(check.exit()).as(check.err()).isZero();
        assertThat(check.out()).contains(manifest + ": OK");
        // The manifest by hand: decompressed by its codec's tool, it is the JSON the writer recorded.
        if (manifestCodec != Codec.ZSTD || onPath("zstd")) {
            Result json = switch (manifestCodec) {
                case NONE -> run(out, "cat", manifest);
                case ZSTD -> run(out, "zstd", "-dc", manifest);
                case GZIP -> run(out, "gzip", "-dc", manifest);
            };
            assertThat(json.exit()).as(json.err()).isZero();
            assertThat(ManifestCodec.fromBytes(json.bytes())).isEqualTo(summary.manifest());
            assertThat(json.out()).startsWith("{\"format_version\":");
        }
    }

    private ArchiveSummary summary;

    private record Result(int exit, byte[] bytes, String err) {
        String out() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static Result run(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).directory(cwd.toFile()).start();
        p.getOutputStream().close();
        var err = new java.util.concurrent.CompletableFuture<byte[]>();
        Thread t = new Thread(() -> {
            try {
                err.complete(p.getErrorStream().readAllBytes());
            } catch (IOException e) {
                err.completeExceptionally(e);
            }
        });
        t.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        t.join();
        return new Result(p.exitValue(), out, new String(err.join(), StandardCharsets.UTF_8));
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
