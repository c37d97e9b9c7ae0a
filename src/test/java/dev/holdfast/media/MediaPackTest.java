package dev.holdfast.media;

import static dev.holdfast.media.MediaTestSupport.T;
import static dev.holdfast.media.MediaTestSupport.backup;
import static dev.holdfast.media.MediaTestSupport.leftovers;
import static dev.holdfast.media.MediaTestSupport.setMtime;
import static dev.holdfast.media.MediaTestSupport.snapshot;
import static dev.holdfast.media.MediaTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.VerificationReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small media files stored as members of packs: their layout, standard tools on them, and damaged records. */
class MediaPackTest {
    @TempDir
    Path tmp;

    /** Small text files with varied modes and mtimes, one file of exactly 1 MiB and a small "photo". */
    private Path tree() throws IOException {
        Path root = tmp.resolve("src");
        Files.createDirectories(root.resolve("a/b"));
        Random rnd = new Random(5);
        for (int i = 0; i < 40; i++) {
            Path f = root.resolve((i % 2 == 0 ? "a/" : "a/b/") + "doc-" + i + ".txt");
            Files.writeString(f, ("line " + i + " of a document that repeats\n").repeat(1 + rnd.nextInt(2000)));
            setMtime(f, T.plusSeconds(i));
        }
        Files.setPosixFilePermissions(root.resolve("a/doc-0.txt"), PosixFilePermissions.fromString("r--------"));
        Files.setPosixFilePermissions(root.resolve("a/b/doc-1.txt"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createFile(root.resolve("empty.txt"));
        byte[] noise = new byte[200_000];
        rnd.nextBytes(noise);
        Files.write(root.resolve("thumb.jpg"), noise);
        byte[] big = new byte[MediaPackWriter.PACK_BELOW];
        rnd.nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        return root;
    }

    @Test
    void smallFilesGoIntoPacksThatTarAndZstdUnpackWithTheirModesAndMtimes() throws Exception {
        Path root = tree();
        Path archive = tmp.resolve("a.tar");
        MediaBackup.Result r = backup(MediaBackup.of("u", root).parallelism(2), archive);
        ArchiveReader reader = ArchiveReader.open(archive);

        assertThat(reader.manifest().formatVersion()).isEqualTo(Manifest.PACKS_VERSION);
        Map<String, MediaFile> byPath = new TreeMap<>();
        r.section().files().forEach(f -> byPath.put(f.path(), f));
        MediaFile big = byPath.get("big.bin");
        assertThat(big.packed()).isFalse();
        assertThat(big.entry()).isEqualTo("media/u/files/big.bin");
        MediaFile thumb = byPath.get("thumb.jpg");
        assertThat(thumb.packed()).isTrue();
        assertThat(reader.manifest().entry(thumb.entry()).codec())
                .as("an already compressed file goes into a pack stored as is")
                .isEqualTo(Codec.NONE);
        for (MediaFile f : byPath.values()) {
            if (f != big) {
                assertThat(f.member()).isEqualTo(f.path());
                assertThat(reader.manifest().entry(f.entry()).kind()).isEqualTo(EntryInfo.KIND_MEDIA_PACK);
            }
        }

        // Every pack by hand: tar -xOf | zstd -dc | tar -xf, and the files are there with their modes and mtimes.
        Path out = Files.createDirectories(tmp.resolve("by-hand"));
        for (EntryInfo e : reader.manifest().entries()) {
            if (e.kind().equals(EntryInfo.KIND_MEDIA_PACK)) {
                String decompress = e.codec() == Codec.ZSTD ? "zstd -dc" : "cat";
                sh("tar -xOf '" + archive + "' '" + e.name() + "' | " + decompress + " | tar -xf - -C '" + out + "'");
            }
        }
        Map<String, String> expected = files(snapshot(root));
        expected.remove("big.bin");
        assertThat(files(snapshot(out))).isEqualTo(expected);
    }

    @Test
    void aPackClosesAtItsSizeAndMembersAreReadBackAcrossPacks() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("src"));
        Random rnd = new Random(9);
        byte[] chunk = new byte[600_000];
        for (int i = 0; i < 30; i++) {
            rnd.nextBytes(chunk);
            Files.write(root.resolve(String.format("f%02d.bin", i)), chunk); // 18 MB: three packs on one worker
        }
        Path archive = tmp.resolve("a.tar");
        MediaBackup.Result r = backup(MediaBackup.of("u", root).parallelism(1), archive);

        List<String> packs =
                r.section().files().stream().map(MediaFile::entry).distinct().toList();
        // Random bytes: the packs are stored as is.
        assertThat(packs)
                .containsExactly("media/u/packs/000001.tar", "media/u/packs/000002.tar", "media/u/packs/000003.tar");
        ArchiveReader reader = ArchiveReader.open(archive);
        for (String p : packs.subList(0, 2)) { // closed by the file that took them past their size
            assertThat(reader.manifest().entry(p).rawSize())
                    .isBetween(MediaPackWriter.PACK_SIZE, MediaPackWriter.PACK_SIZE + 600_000 + 2048);
        }
        assertThat(reader.manifest().entry(packs.get(2)).rawSize()).isLessThan(MediaPackWriter.PACK_SIZE);
        Path target = tmp.resolve("restored");
        MediaRestore.of(reader, "u", target).run();
        assertThat(snapshot(target)).isEqualTo(snapshot(root));
    }

    @Test
    void aRecordedPlaceOutsideItsPackIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path archive = tampered(f -> f.path().equals("a/doc-2.txt") ? at(f, 1L << 40) : f);
        Path target = liveTarget();
        Map<String, String> before = snapshot(target);

        assertThatThrownBy(() -> MediaRestore.of(ArchiveReader.open(archive), "u", target)
                        .run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("'a/doc-2.txt'")
                .hasMessageContaining("lies outside the pack");
        assertThat(snapshot(target)).isEqualTo(before);
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void aWrongOffsetInsideThePackFailsVerificationAndLeavesTheTargetUntouched() throws Exception {
        Path archive = tampered(f -> f.path().equals("a/doc-4.txt") ? at(f, f.memberOffset() - 512) : f);
        Path target = liveTarget();
        Map<String, String> before = snapshot(target);

        for (MediaRestore.Mode mode : MediaRestore.Mode.values()) {
            assertThatThrownBy(() -> MediaRestore.of(ArchiveReader.open(archive), "u", target)
                            .mode(mode)
                            .run())
                    .isInstanceOf(MediaRestoreException.class)
                    .hasMessageContaining("'a/doc-4.txt'")
                    .hasMessageContaining("does not match its SHA-256");
            assertThat(snapshot(target)).isEqualTo(before);
            assertThat(leftovers(tmp)).isEmpty();
        }
    }

    @Test
    void twoPathsAtOnePlaceOfAPackRestoreTheSameBytes() throws Exception {
        // What an incremental backup records for a copy: a second path at the place of content already stored.
        MediaFile[] original = new MediaFile[1];
        Path archive = tampered(f -> {
            if (f.path().equals("a/doc-2.txt")) {
                original[0] = f;
            }
            return f.path().equals("a/doc-4.txt") && original[0] != null
                    ? new MediaFile(
                            f.path(),
                            original[0].entry(),
                            original[0].size(),
                            f.mode(),
                            f.mtime(),
                            original[0].sha256(),
                            null,
                            f.inode(),
                            f.ctime(),
                            original[0].member(),
                            original[0].memberOffset())
                    : f;
        });
        Path target = tmp.resolve("restored");
        MediaRestore.of(ArchiveReader.open(archive), "u", target).run();

        assertThat(Files.readAllBytes(target.resolve("a/doc-4.txt")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("src/a/doc-2.txt")));
        assertThat(Files.readAllBytes(target.resolve("a/doc-6.txt")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("src/a/doc-6.txt")));
    }

    @Test
    void aRestoreChecksEachMemberItUsesAndVerifyChecksTheWholePack() throws Exception {
        // A restore reads a pack without hashing all of it (ArchiveReader.openEntryForParts): each restored file's
        // own SHA-256 is what proves it. Damage outside every member (a member's tar header) changes no restored
        // byte, so the restore completes; verify, which hashes every entry, still names the pack.
        Path root = tree();
        Path archive = tmp.resolve("a.tar");
        MediaBackup.Result r = backup(MediaBackup.of("u", root).parallelism(1), archive);
        MediaFile thumb = r.section().files().stream()
                .filter(f -> f.path().equals("thumb.jpg"))
                .findFirst()
                .orElseThrow();
        EntryInfo pack = ArchiveReader.open(archive).manifest().entry(thumb.entry());
        assertThat(pack.codec()).isEqualTo(Codec.NONE); // so that an archive offset is a pack offset

        Path header = damaged(archive, "header.tar", pack.offset() + thumb.memberOffset() - 512 + 3);
        Path target = tmp.resolve("restored");
        MediaRestore.of(ArchiveReader.open(header), "u", target).run();
        assertThat(snapshot(target)).isEqualTo(snapshot(root));
        assertThat(ArchiveReader.open(header).verify().failures())
                .extracting(VerificationReport.Failure::entry)
                .containsOnly(pack.name());

        Path content = damaged(archive, "content.tar", pack.offset() + thumb.memberOffset() + 100_000);
        Path live = liveTarget();
        Map<String, String> before = snapshot(live);
        assertThatThrownBy(() ->
                        MediaRestore.of(ArchiveReader.open(content), "u", live).run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("'thumb.jpg'")
                .hasMessageContaining("does not match its SHA-256");
        assertThat(snapshot(live)).isEqualTo(before);
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void aDamagedCompressedPackFailsTheRestoreBeforeTheTargetIsTouched() throws Exception {
        Path root = tree();
        Path archive = tmp.resolve("a.tar");
        backup(MediaBackup.of("u", root).parallelism(1), archive);
        EntryInfo pack = ArchiveReader.open(archive).manifest().entries().stream()
                .filter(e -> e.kind().equals(EntryInfo.KIND_MEDIA_PACK) && e.codec() == Codec.ZSTD)
                .findFirst()
                .orElseThrow();
        Path broken = damaged(archive, "broken.tar", pack.offset() + pack.storedSize() / 2);
        Path live = liveTarget();
        Map<String, String> before = snapshot(live);

        for (MediaRestore.Mode mode : MediaRestore.Mode.values()) {
            assertThatThrownBy(() -> MediaRestore.of(ArchiveReader.open(broken), "u", live)
                            .mode(mode)
                            .run())
                    .isInstanceOf(MediaRestoreException.class)
                    .hasMessageContaining("failed verification, nothing was restored");
            assertThat(snapshot(live)).isEqualTo(before);
            assertThat(leftovers(tmp)).isEmpty();
        }
    }

    /** A copy of {@code archive} named {@code name} with the byte at {@code at} inverted. */
    private Path damaged(Path archive, String name, long at) throws IOException {
        byte[] bytes = Files.readAllBytes(archive);
        bytes[Math.toIntExact(at)] ^= (byte) 0xff;
        return Files.write(tmp.resolve(name), bytes);
    }

    /** A restore target that already holds a file, which a refused or failed restore must leave as it is. */
    private Path liveTarget() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("live"));
        Files.writeString(target.resolve("keep.txt"), "the target as it was");
        return target;
    }

    /** A backup of {@link #tree()} whose manifest records the files as {@code change} makes them. */
    private Path tampered(UnaryOperator<MediaFile> change) throws IOException {
        Path root = tree();
        Path archive = tmp.resolve("tampered.tar");
        write(archive, w -> {
            MediaBackup.Result r = MediaBackup.of("u", root).parallelism(1).run(w);
            MediaSection s = r.section();
            MediaSection changed = new MediaSection(
                    s.source(),
                    s.files().stream().map(change).toList(),
                    s.directories(),
                    s.symlinks(),
                    s.warnings(),
                    s.extensions());
            return new MediaBackup.Result(changed, List.of(), List.of(), r.files(), r.bytes(), 0, 0, 0, 0);
        });
        return archive;
    }

    private static MediaFile at(MediaFile f, long offset) {
        return new MediaFile(
                f.path(),
                f.entry(),
                f.size(),
                f.mode(),
                f.mtime(),
                f.sha256(),
                f.storedIn(),
                f.inode(),
                f.ctime(),
                f.member(),
                offset);
    }

    /** Only the regular files of a snapshot. */
    private static Map<String, String> files(Map<String, String> snapshot) {
        Map<String, String> out = new TreeMap<>(snapshot);
        out.values().removeIf(v -> !v.startsWith("file "));
        return out;
    }

    private static void sh(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command)
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(output).isZero();
    }
}
