package dev.holdfast.media;

import static dev.holdfast.media.MediaTestSupport.leftovers;
import static dev.holdfast.media.MediaTestSupport.setMtime;
import static dev.holdfast.media.MediaTestSupport.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveWriter;
import dev.holdfast.archive.Codec;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.ReferencedArchives;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental media backups as engines: a chain of full and incremental archives of a tree that changes between
 * runs (files added, changed, deleted, renamed, turned into directories or links, a mode changed, a file touched)
 * restores to exactly the tree of each run, refers only flat to the archives holding the bytes, and a missing or
 * damaged holder fails the restore before the target is touched.
 */
class IncrementalMediaTest {
    @TempDir
    Path tmp;

    Path live;
    final Map<String, Path> archives = new HashMap<>();

    @BeforeEach
    void tree() throws IOException {
        live = Files.createDirectories(tmp.resolve("live"));
        write("a.txt", "alpha ".repeat(500));
        write("b/c.bin", random(100_000, 1));
        write("d/e.txt", "echo ".repeat(300));
        write("r.txt", "to be renamed ".repeat(400));
        write("f.txt", "becomes a directory");
        write("g.txt", "becomes a link");
        write("h/inside.txt", "h becomes a file");
        write("t.txt", "touched only ".repeat(100));
        write("same-size.txt", "0123456789".repeat(50));
        write("u.txt", "unchanged ".repeat(20));
        Files.createDirectories(live.resolve("empty/dir"));
        Files.createSymbolicLink(live.resolve("l"), Path.of("a.txt"));
    }

    @Test
    void aChainRestoresEveryRunExactlyAndRefersFlatToTheArchivesHoldingTheBytes() throws Exception {
        MediaBackup.Result full = backup("A", null, false);
        assertThat(full.referencedFiles()).isZero();
        Map<String, String> v1 = snapshot(live);

        mutate();
        Map<String, String> v2 = snapshot(live);
        MediaBackup.Result inc = backup("B", MediaIndex.of("A", full.section()), false);
        Map<String, MediaFile> b = byPath(inc.section());
        // Not read at all: unchanged metadata.
        assertThat(b.get("u.txt").storedIn()).isEqualTo("A");
        assertThat(b.get("u.txt").entry()).isEqualTo(fileOf(full, "u.txt").entry());
        // Read and hashed, then referenced: a rename, a mode change, a touch, a copy.
        assertThat(b.get("r2.txt").storedIn()).isEqualTo("A");
        assertThat(b.get("r2.txt").entry()).isEqualTo(fileOf(full, "r.txt").entry());
        assertThat(b.get("b/c.bin").storedIn()).isEqualTo("A");
        assertThat(b.get("b/c.bin").mode()).isEqualTo("0600");
        assertThat(b.get("t.txt").storedIn()).isEqualTo("A");
        assertThat(b.get("copy-of-a.txt").storedIn()).isEqualTo("A");
        // Stored: new or changed content (same size as before: hashed, then stored).
        assertThat(b.get("a.txt").storedIn()).isNull();
        assertThat(b.get("same-size.txt").storedIn()).isNull();
        assertThat(b.get("n.txt").storedIn()).isNull();
        assertThat(b.get("f.txt/now-a-file.txt").storedIn()).isNull();
        assertThat(b.get("h").storedIn()).isNull();
        assertThat(b).doesNotContainKeys("d/e.txt", "r.txt", "f.txt", "g.txt", "h/inside.txt");
        assertThat(inc.section().symlinks())
                .extracting(Manifest.MediaSymlink::path)
                .contains("g.txt", "l");
        // Only files whose size matched a known content were read for it: never an unchanged one.
        assertThat(inc.hashedFiles()).isEqualTo(5); // r2, c.bin, t.txt, copy-of-a, same-size.txt
        // ... and read once: same-size.txt, hashed and not known, is stored from that read (restored as v2 below).
        assertThat(readToStore).contains("a.txt", "n.txt").doesNotContain("same-size.txt", "u.txt");
        assertThat(inc.referencedFiles())
                .isEqualTo(b.values().stream().filter(MediaFile::referenced).count());

        // Another run on top: its references go straight to the archive holding each content (A or B), never
        // through B to A.
        write("a.txt", "changed again ".repeat(10));
        Files.delete(live.resolve("n.txt"));
        Map<String, String> v3 = snapshot(live);
        MediaBackup.Result third = backup("C", MediaIndex.of("B", inc.section()), false);
        Map<String, MediaFile> c = byPath(third.section());
        assertThat(c.get("u.txt").storedIn()).isEqualTo("A");
        assertThat(c.get("b/other.bin").storedIn()).isEqualTo("B");
        assertThat(c.get("same-size.txt").storedIn()).isEqualTo("B");
        assertThat(c.get("a.txt").storedIn()).isNull();
        assertThat(c).doesNotContainKey("n.txt");

        assertThat(restore("A", tmp.resolve("out-a"))).isEqualTo(v1);
        assertThat(restore("B", tmp.resolve("out-b"))).isEqualTo(v2);
        assertThat(restore("C", tmp.resolve("out-c"))).isEqualTo(v3);
        assertThat(MediaReferences.check(manifest("C"), holders(), true, () -> {})
                        .failures())
                .isEmpty();
    }

    @Test
    void aPersonRestoresAnIncrementalBackupByHandWithStandardTools() throws Exception {
        MediaBackup.Result full = backup("A", null, false);
        mutate();
        MediaBackup.Result inc = backup("B", MediaIndex.of("A", full.section()), false);
        write("a.txt", "changed again ".repeat(10));
        backup("C", MediaIndex.of("B", inc.section()), false);
        Map<String, String> expected = snapshot(live);
        assertThat(manifest("C").incremental().references())
                .extracting(Manifest.Reference::backupId)
                .containsExactly("A", "B");

        // The documented script (docs/incremental.md), run as a person would: tar, zstd, gzip, jq, sha256sum.
        Path out = tmp.resolve("by-hand");
        String[] done = byHand(archives.get("C"), out);
        assertThat(done[0]).as(done[1]).isEqualTo("0");
        assertThat(snapshot(out)).isEqualTo(expected);

        // Without an archive it needs, it stops and names it.
        Files.move(archives.get("A"), tmp.resolve("elsewhere.tar"));
        String[] missing = byHand(archives.get("C"), tmp.resolve("by-hand-2"));
        assertThat(missing[0]).isNotEqualTo("0");
        assertThat(missing[1]).contains("needs the archive of backup A (A.tar)");
    }

    /** Runs docs/restore-media-by-hand.sh on {@code archive}'s root {@code u}; returns its exit code and output. */
    private static String[] byHand(Path archive, Path out) throws Exception {
        Process p = new ProcessBuilder(
                        "sh",
                        Path.of("docs/restore-media-by-hand.sh")
                                .toAbsolutePath()
                                .toString(),
                        archive.toString(),
                        "u",
                        out.toString())
                .redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new String[] {Integer.toString(p.waitFor()), log};
    }

    @Test
    void rehashReadsEveryFileAndStillRefersToUnchangedContents() throws Exception {
        MediaBackup.Result full = backup("A", null, false);
        MediaBackup.Result again = backup("B", MediaIndex.of("A", full.section()), true);
        assertThat(again.hashedFiles()).isEqualTo(full.files());
        assertThat(again.referencedFiles()).isEqualTo(full.files());
        assertThat(again.section().files())
                .allSatisfy(f -> assertThat(f.storedIn()).isEqualTo("A"));
        assertThat(restore("B", tmp.resolve("out"))).isEqualTo(snapshot(live));
    }

    @Test
    void aMissingOrDamagedHolderFailsTheRestoreBeforeTheTargetIsTouched() throws Exception {
        MediaBackup.Result full = backup("A", null, false);
        write("n.txt", "new in B");
        backup("B", MediaIndex.of("A", full.section()), false);
        Path target = tmp.resolve("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("precious.txt"), "must survive");
        Map<String, String> before = snapshot(target);

        // The holder is gone: refused at the checks, naming the file and the backup.
        assertThatThrownBy(() -> MediaRestore.of(open("B"), "u", target)
                        .references(ReferencedArchives.caching(id -> {
                            throw new IOException("archive " + id + " is not in storage");
                        }))
                        .run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("stored in backup A")
                .hasMessageContaining("not in storage");
        assertThat(snapshot(target)).isEqualTo(before);
        // A self-contained reader (no references given) refuses too.
        assertThatThrownBy(() -> MediaRestore.of(open("B"), "u", target).run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("stored in backup A");
        assertThat(snapshot(target)).isEqualTo(before);

        // A byte flipped inside a content A holds for B: the restore fails verifying it, the target is as before.
        MediaFile victim = fileOf(full, "b/c.bin");
        EntryInfo e = open("A").manifest().entry(victim.entry());
        try (RandomAccessFile raf = new RandomAccessFile(archives.get("A").toFile(), "rw")) {
            long at = e.offset() + e.storedSize() / 2;
            raf.seek(at);
            int x = raf.read();
            raf.seek(at);
            raf.write(x ^ 0x01);
        }
        assertThatThrownBy(() -> MediaRestore.of(open("B"), "u", target)
                        .references(holders())
                        .run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("b/c.bin");
        assertThat(snapshot(target)).isEqualTo(before);
        assertThat(leftovers(tmp)).isEmpty();
        MediaReferences.Report report = MediaReferences.check(manifest("B"), holders(), true, () -> {});
        assertThat(report.failures()).singleElement().satisfies(f -> {
            assertThat(f.reason()).isEqualTo(MediaReferences.Reason.REFERENCED_CONTENT_CORRUPT);
            assertThat(f.holder()).isEqualTo("A");
            assertThat(f.path()).isEqualTo("u:b/c.bin");
        });
        // Without reading contents, only the manifests are consulted: the damage is not seen, a missing archive is.
        assertThat(MediaReferences.check(manifest("B"), holders(), false, () -> {})
                        .ok())
                .isTrue();
        assertThat(MediaReferences.check(manifest("B"), ReferencedArchives.none(), false, () -> {})
                        .failures())
                .singleElement()
                .satisfies(
                        f -> assertThat(f.reason()).isEqualTo(MediaReferences.Reason.REFERENCED_ARCHIVE_UNAVAILABLE));
    }

    @Test
    void anArchiveOfAnotherBackupIsRefusedAsAHolder() throws Exception {
        MediaBackup.Result full = backup("A", null, false);
        backup("B", MediaIndex.of("A", full.section()), false);
        ReferencedArchives wrong = ReferencedArchives.caching(id -> open("B"));
        assertThatThrownBy(() -> MediaRestore.of(open("B"), "u", tmp.resolve("t"))
                        .references(wrong)
                        .run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("is backup B's");
    }

    /** Changes of every kind between two runs. */
    private void mutate() throws IOException {
        write("a.txt", "alpha changed, and shorter");
        write("same-size.txt", "9876543210".repeat(50));
        write("n.txt", "new file");
        write("d2/unchanged.txt", "added now, unchanged later");
        Files.delete(live.resolve("d/e.txt"));
        Files.move(live.resolve("r.txt"), live.resolve("r2.txt"));
        Files.delete(live.resolve("f.txt"));
        write("f.txt/now-a-file.txt", "f.txt is a directory now");
        Files.delete(live.resolve("g.txt"));
        Files.createSymbolicLink(live.resolve("g.txt"), Path.of("a.txt"));
        Files.delete(live.resolve("h/inside.txt"));
        Files.delete(live.resolve("h"));
        write("h", "h is a file now");
        Files.setPosixFilePermissions(live.resolve("b/c.bin"), PosixFilePermissions.fromString("rw-------"));
        setMtime(live.resolve("t.txt"), Instant.parse("2020-01-01T00:00:00Z"));
        Files.copy(live.resolve("r2.txt"), live.resolve("copy-of-a.txt"));
        Files.writeString(live.resolve("copy-of-a.txt"), "alpha ".repeat(500));
        write("b/other.bin", random(5_000, 2));
    }

    /** The files the last {@link #backup} read to store them (its afterRead hook). */
    private final List<String> readToStore = java.util.Collections.synchronizedList(new ArrayList<>());

    private MediaBackup.Result backup(String id, MediaIndex previous, boolean rehash) throws IOException {
        Path archive = tmp.resolve(id + ".tar");
        Path spool = Files.createDirectories(tmp.resolve("spool"));
        try (OutputStream out = Files.newOutputStream(archive);
                ArchiveWriter w = new ArchiveWriter(out, ArchiveWriter.Options.defaults(spool, Long.MAX_VALUE))) {
            readToStore.clear();
            MediaBackup.Result r = MediaBackup.of("u", live)
                    .previous(previous, rehash)
                    .afterRead((path, attempt) -> readToStore.add(path))
                    .run(w);
            Manifest m = Manifest.of(id, id, "media", Instant.now()).withMedia(List.of(r.section()));
            // Compressed as the service writes it, so the by-hand script below reads the manifest as users get it.
            w.finish(m.withIncremental(references(r.section(), previous)), Codec.ZSTD);
            archives.put(id, archive);
            return r;
        }
    }

    /** The manifest's incremental block as the service writes it: one reference per holder actually used. */
    private static Manifest.Incremental references(MediaSection s, MediaIndex previous) {
        Map<String, MediaReferences.Held> used = MediaReferences.heldBy(List.of(s));
        if (used.isEmpty()) {
            return null;
        }
        List<Manifest.Reference> refs = new ArrayList<>();
        used.forEach((h, c) ->
                refs.add(new Manifest.Reference(h, h, Instant.EPOCH, h + ".tar", null, c.files(), c.bytes())));
        return new Manifest.Incremental(previous.backupId(), 1, refs);
    }

    private Map<String, String> restore(String id, Path target) throws IOException {
        MediaRestore.of(open(id), "u", target).references(holders()).run();
        return snapshot(target);
    }

    private ReferencedArchives holders() {
        return ReferencedArchives.caching(this::open);
    }

    private ArchiveReader open(String id) throws IOException {
        Path p = archives.get(id);
        if (p == null) {
            throw new IOException("no archive of backup " + id);
        }
        return ArchiveReader.open(p);
    }

    private Manifest manifest(String id) throws IOException {
        return open(id).manifest();
    }

    private static Map<String, MediaFile> byPath(MediaSection s) {
        Map<String, MediaFile> out = new TreeMap<>();
        s.files().forEach(f -> out.put(f.path(), f));
        return out;
    }

    private static MediaFile fileOf(MediaBackup.Result r, String path) {
        return byPath(r.section()).get(path);
    }

    private void write(String rel, String content) throws IOException {
        write(rel, content.getBytes(StandardCharsets.UTF_8));
    }

    private void write(String rel, byte[] content) throws IOException {
        Path p = live.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
