package dev.holdfast.media;

import static dev.holdfast.media.MediaTestSupport.T;
import static dev.holdfast.media.MediaTestSupport.backup;
import static dev.holdfast.media.MediaTestSupport.setMtime;
import static dev.holdfast.media.MediaTestSupport.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.Manifest.MediaSymlink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaBackupTest {
    @TempDir
    Path tmp;

    /** A tree with every shape the engine must keep. */
    static Path sampleTree(Path root, Path outside) throws Exception {
        Files.createDirectories(root.resolve("nested/deeper/deepest"));
        Files.writeString(root.resolve("nested/a.txt"), "hello\n".repeat(2000));
        Files.writeString(root.resolve("nested/deeper/deepest/b.txt"), "deep");
        Files.createFile(root.resolve("empty.txt"));
        Files.createDirectories(root.resolve("empty-dir"));
        Files.createDirectories(root.resolve("with space"));
        Files.writeString(root.resolve("with space/a b c.txt"), "spaces");
        Files.createDirectories(root.resolve("日本語"));
        Files.writeString(root.resolve("日本語/résumé final.txt"), "unicode ✓");
        StringBuilder longDir = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            longDir.append(i == 0 ? "" : "/").append("segment-number-").append(i);
        }
        Files.createDirectories(root.resolve(longDir.toString()));
        Files.writeString(root.resolve(longDir + "/a-file-at-the-bottom-of-a-long-path.txt"), "long");
        byte[] random = new byte[300_000];
        new Random(1).nextBytes(random);
        Files.write(root.resolve("noise.bin"), random);
        Files.write(
                root.resolve("photo.JPG"),
                "not really a jpeg but named like one".repeat(300).getBytes(StandardCharsets.UTF_8));
        Path ro = Files.writeString(root.resolve("read-only.txt"), "frozen");
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r--r--r--"));
        Files.setPosixFilePermissions(root.resolve("nested/deeper"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createSymbolicLink(root.resolve("link-inside"), Path.of("nested/a.txt"));
        Files.createSymbolicLink(root.resolve("nested/dir-link"), Path.of("deeper"));
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("secret.txt"), "outside, never read");
        Files.createSymbolicLink(root.resolve("link-outside"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("link-outside-relative"), Path.of("../outside/secret.txt"));
        setMtime(root.resolve("nested/a.txt"), T);
        setMtime(root.resolve("empty-dir"), T.minusSeconds(3600));
        setMtime(root.resolve("link-inside"), T.minusSeconds(60));
        return root;
    }

    @Test
    void roundTripKeepsContentModesMtimesLinksAndEmptyDirectories() throws Exception {
        Path root = sampleTree(tmp.resolve("media"), tmp.resolve("outside"));
        new ProcessBuilder("mkfifo", root.resolve("a-fifo").toString()).start().waitFor();
        Map<String, String> before = snapshot(root);
        List<MediaProgress> progress = new ArrayList<>();
        Path archive = tmp.resolve("a.tar");

        MediaBackup.Result r = backup(MediaBackup.of("u", root).progress(progress::add), archive);

        MediaSection s = r.section();
        assertThat(s.files())
                .extracting(MediaFile::path)
                .isSortedAccordingTo(MediaPaths.BYTE_ORDER)
                .contains("empty.txt", "日本語/résumé final.txt", "with space/a b c.txt")
                .noneMatch(p -> p.contains("secret") || p.contains("fifo"));
        assertThat(s.symlinks())
                .extracting(MediaSymlink::path, MediaSymlink::target)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("link-inside", "nested/a.txt"),
                        org.assertj.core.groups.Tuple.tuple("nested/dir-link", "deeper"),
                        org.assertj.core.groups.Tuple.tuple("link-outside-relative", "../outside/secret.txt"));
        assertThat(s.directories()).extracting(d -> d.path()).contains(".", "empty-dir", "nested/deeper");
        assertThat(r.warnings())
                .anyMatch(w -> w.startsWith("a-fifo: FIFO skipped"))
                .anyMatch(w -> w.startsWith("link-outside: symbolic link points outside"));
        assertThat(r.inconsistent()).isEmpty();
        assertThat(s.files())
                .filteredOn(f -> f.path().equals("read-only.txt"))
                .extracting(MediaFile::mode)
                .containsExactly("0444");
        // Already-compressed content is stored as is, by name and by a sample; text is compressed.
        assertThat(entryOf(s, "photo.JPG")).doesNotEndWith(".zst");
        assertThat(entryOf(s, "noise.bin")).doesNotEndWith(".zst");
        assertThat(entryOf(s, "nested/a.txt")).endsWith(".zst");
        assertThat(r.storedUncompressed()).isEqualTo(2);
        MediaProgress last = progress.get(progress.size() - 1);
        assertThat(last.filesDone())
                .isEqualTo(last.filesTotal())
                .isEqualTo(s.files().size());
        assertThat(last.bytesDone()).isEqualTo(last.bytesTotal()).isEqualTo(r.bytes());
        assertThat(ArchiveReader.verify(archive).ok()).isTrue();

        Path restored = tmp.resolve("elsewhere/restored");
        MediaRestore.Result rr = MediaRestore.of(ArchiveReader.open(archive), "u", restored)
                .allowSymlinksOutsideTarget(true)
                .run();

        Map<String, String> after = snapshot(restored);
        Map<String, String> expected = new java.util.TreeMap<>(before);
        expected.remove("a-fifo");
        assertThat(after).isEqualTo(expected);
        assertThat(rr.plan().removed()).isEmpty();
        assertThat(rr.plan().added()).contains("empty-dir", "link-outside", "nested/a.txt");
        assertThat(Files.readString(tmp.resolve("outside/secret.txt"))).isEqualTo("outside, never read");
        assertThat(MediaTestSupport.leftovers(tmp.resolve("elsewhere"))).isEmpty();
    }

    private static String entryOf(MediaSection s, String path) {
        return s.files().stream()
                .filter(f -> f.path().equals(path))
                .findFirst()
                .orElseThrow()
                .entry();
    }

    @Test
    void aFileChangedWhileReadIsReadAgain() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(root.resolve("a.log"), "first line\n");
        Files.writeString(root.resolve("b.txt"), "b");
        MediaBackup.Result r = backup(
                MediaBackup.of("u", root).parallelism(1).afterRead((path, attempt) -> {
                    if (path.equals("a.log") && attempt == 1) {
                        append(root.resolve("a.log"), "second line\n");
                    }
                }),
                tmp.resolve("a.tar"));

        assertThat(r.inconsistent()).isEmpty();
        assertThat(r.warnings()).isEmpty();
        MediaFile a = r.section().files().get(0);
        assertThat(a.size()).isEqualTo("first line\nsecond line\n".length());
        try (var in = MediaContent.of(ArchiveReader.open(tmp.resolve("a.tar"))).open(a)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first line\nsecond line\n");
        }
    }

    @Test
    void aFileChangingOnEveryReadIsRecordedInconsistentNotStoredTorn() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(root.resolve("a.log"), "growing\n");
        Files.writeString(root.resolve("b.txt"), "b");
        MediaBackup.Result r = backup(
                MediaBackup.of("u", root).afterRead((path, attempt) -> {
                    if (path.equals("a.log")) {
                        append(root.resolve("a.log"), "more\n");
                    }
                }),
                tmp.resolve("a.tar"));

        assertThat(r.inconsistent()).containsExactly("a.log");
        assertThat(r.complete()).isFalse();
        assertThat(r.section().warnings()).singleElement().asString().contains("a.log", "inconsistent");
        assertThat(r.section().files()).extracting(MediaFile::path).containsExactly("b.txt");
        assertThat(ArchiveReader.open(tmp.resolve("a.tar")).entryNames()).noneMatch(n -> n.contains("a.log"));
    }

    @Test
    void includeAndExcludeGlobsApplyToRelativePaths() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("m"));
        Files.createDirectories(root.resolve("cache/x"));
        Files.createDirectories(root.resolve("docs/old"));
        Files.createDirectories(root.resolve("unrelated"));
        Files.writeString(root.resolve("cache/x/c.txt"), "c");
        Files.writeString(root.resolve("docs/a.txt"), "a");
        Files.writeString(root.resolve("docs/a.tmp"), "t");
        Files.writeString(root.resolve("docs/old/b.txt"), "b");
        Files.writeString(root.resolve("top.txt"), "top");
        MediaBackup.Result r = backup(
                MediaBackup.of("u", root).include(List.of("**.txt", "*.txt")).exclude(List.of("cache", "docs/old/**")),
                tmp.resolve("a.tar"));

        assertThat(r.section().files()).extracting(MediaFile::path).containsExactly("docs/a.txt", "top.txt");
        assertThat(r.section().directories()).extracting(d -> d.path()).containsExactly(".", "docs");
    }

    @Test
    void aThrowingCheckpointCancelsAndLeavesNoOpenEntries() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("m"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(root.resolve("f" + i + ".txt"), "x".repeat(1000));
        }
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> backup(
                        MediaBackup.of("u", root).checkpoint(() -> {
                            if (calls.incrementAndGet() > 15) {
                                throw new CancellationException("cancelled by the operator");
                            }
                        }),
                        tmp.resolve("a.tar")))
                .isInstanceOf(CancellationException.class);
    }

    @Test
    void noCompressionCodecStoresEverythingAsIs() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(root.resolve("a.txt"), "text ".repeat(5000));
        Files.write(root.resolve("big.txt"), "text ".repeat(300_000).getBytes(StandardCharsets.UTF_8));
        MediaBackup.Result r = backup(MediaBackup.of("u", root).codec(Codec.NONE), tmp.resolve("a.tar"));
        // A small file goes into an uncompressed pack, a large one into an uncompressed entry of its own.
        MediaFile small = r.section().files().get(0);
        assertThat(small.entry()).isEqualTo("media/u/packs/000001.tar");
        assertThat(r.section().files().get(1).entry()).isEqualTo("media/u/files/big.txt");
        ArchiveReader reader = ArchiveReader.open(tmp.resolve("a.tar"));
        assertThat(reader.manifest().entry(small.entry()).codec()).isEqualTo(Codec.NONE);
        try (var in = reader.openStoredEntry(small.entry())) {
            byte[] pack = in.readAllBytes();
            assertThat(new String(pack, Math.toIntExact(small.memberOffset()), 25_000, StandardCharsets.UTF_8))
                    .isEqualTo("text ".repeat(5000));
        }
    }

    private static void append(Path p, String s) {
        try {
            Files.writeString(p, s, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
