package dev.holdfast.media;

import static dev.holdfast.media.MediaTestSupport.backup;
import static dev.holdfast.media.MediaTestSupport.leftovers;
import static dev.holdfast.media.MediaTestSupport.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.EntryInfo;
import dev.holdfast.archive.Manifest.MediaFile;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaRestoreTest {
    @TempDir
    Path tmp;

    Path archive;
    Path live;

    @BeforeEach
    void backUpAndChangeTheLiveTree() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("src"));
        Files.createDirectories(root.resolve("docs/sub"));
        Files.writeString(root.resolve("docs/a.txt"), "a from backup");
        Files.writeString(root.resolve("docs/sub/b.txt"), "b from backup");
        Files.writeString(root.resolve("c.txt"), "c from backup");
        for (int i = 0; i < 5; i++) {
            Files.writeString(root.resolve("docs/bulk" + i + ".txt"), ("bulk " + i + " ").repeat(20_000));
        }
        archive = tmp.resolve("a.tar");
        backup(MediaBackup.of("u", root), archive);

        live = tmp.resolve("live");
        Files.createDirectories(live.resolve("docs/sub"));
        Files.writeString(live.resolve("docs/a.txt"), "a changed since");
        Files.writeString(live.resolve("docs/sub/b.txt"), "b from backup");
        MediaTestSupport.setMtime(
                live.resolve("docs/sub/b.txt"),
                Files.getLastModifiedTime(root.resolve("docs/sub/b.txt")).toInstant());
        Files.writeString(live.resolve("new-since.txt"), "not in the backup");
    }

    private MediaRestore restore() throws Exception {
        return MediaRestore.of(ArchiveReader.open(archive), "u", live);
    }

    @Test
    void replaceRemovesWhatTheBackupDoesNotHaveAndCanKeepThePreviousTree() throws Exception {
        MediaRestore.Result r = restore().keepPrevious(true).run();

        assertThat(live.resolve("new-since.txt")).doesNotExist();
        assertThat(live.resolve("docs/a.txt")).hasContent("a from backup");
        assertThat(snapshot(live)).isEqualTo(snapshot(tmp.resolve("src")));
        assertThat(r.plan().removed()).containsExactly("new-since.txt");
        assertThat(r.previous()).isNotNull();
        assertThat(r.previous().resolve("new-since.txt")).hasContent("not in the backup");
        assertThat(r.previous().getFileName().toString()).startsWith("live.holdfast-previous-");
    }

    @Test
    void replaceRemovesThePreviousTreeUnlessAsked() throws Exception {
        MediaRestore.Result r = restore().run();
        assertThat(r.previous()).isNull();
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void mergeOverwritesRestoredFilesAndKeepsTheRest() throws Exception {
        MediaRestore.Result r =
                restore().mode(MediaRestore.Mode.MERGE).keepPrevious(true).run();

        assertThat(live.resolve("new-since.txt")).hasContent("not in the backup");
        assertThat(live.resolve("docs/a.txt")).hasContent("a from backup");
        assertThat(live.resolve("c.txt")).hasContent("c from backup");
        assertThat(r.plan().removed()).isEmpty();
        assertThat(r.previous().resolve("docs/a.txt")).hasContent("a changed since");
        assertThat(leftovers(tmp)).containsExactly(r.previous().getFileName().toString());
    }

    @Test
    void dryRunListsAddedChangedAndRemovedAndTouchesNothing() throws Exception {
        Map<String, String> before = snapshot(live);

        MediaRestore.Plan replace = restore().dryRun();
        MediaRestore.Plan merge = restore().mode(MediaRestore.Mode.MERGE).dryRun();

        assertThat(replace.added()).contains("c.txt", "docs/bulk0.txt").doesNotContain("docs/sub/b.txt");
        assertThat(replace.changed()).contains("docs/a.txt").doesNotContain("docs/sub/b.txt");
        assertThat(replace.removed()).containsExactly("new-since.txt");
        assertThat(merge.added()).isEqualTo(replace.added());
        assertThat(merge.removed()).isEmpty();
        assertThat(replace.files()).isEqualTo(8);
        assertThat(snapshot(live)).isEqualTo(before);
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void selectiveRestoreByPrefixOrGlob() throws Exception {
        Path a = tmp.resolve("by-prefix");
        MediaRestore.of(ArchiveReader.open(archive), "u", a)
                .selectPrefixes(List.of("docs/sub/"))
                .run();
        assertThat(snapshot(a).keySet()).containsExactly(".", "docs", "docs/sub", "docs/sub/b.txt");

        Path b = tmp.resolve("by-glob");
        MediaRestore.of(ArchiveReader.open(archive), "u", b)
                .selectGlobs(List.of("*.txt"))
                .run();
        assertThat(snapshot(b).keySet()).containsExactly(".", "c.txt");
    }

    @Test
    void aCorruptEntryHalfWayFailsAndLeavesTheTargetExactlyAsBefore() throws Exception {
        ArchiveReader reader = ArchiveReader.open(archive);
        List<MediaFile> files = reader.manifest().media().get(0).files();
        MediaFile victim = files.get(files.size() / 2);
        EntryInfo e = reader.manifest().entry(victim.entry());
        try (RandomAccessFile raf = new RandomAccessFile(archive.toFile(), "rw")) {
            long at = e.offset() + e.storedSize() / 2;
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x01);
        }
        Map<String, String> before = snapshot(live);

        // The damage surfaces at the member of the victim's pack being read when its stream stops decoding.
        String[] sharing = files.stream()
                .filter(f -> f.entry().equals(victim.entry()))
                .map(f -> "'" + f.path() + "'")
                .toArray(String[]::new);
        for (MediaRestore.Mode mode : MediaRestore.Mode.values()) {
            assertThatThrownBy(() -> restore().mode(mode).run())
                    .isInstanceOf(MediaRestoreException.class)
                    .hasMessageContaining("failed verification")
                    .satisfies(x -> assertThat(x.getMessage()).containsAnyOf(sharing));
            assertThat(snapshot(live)).isEqualTo(before);
            assertThat(leftovers(tmp)).isEmpty();
        }
    }

    @Test
    void notEnoughFreeSpaceFailsBeforeExtracting() throws Exception {
        Map<String, String> before = snapshot(live);
        assertThatThrownBy(() -> restore().usableSpace(p -> 10_000).run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("not enough free space")
                .hasMessageContaining("10000 usable");
        assertThat(snapshot(live)).isEqualTo(before);
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void aCancelledRestoreLeavesTheTargetUntouched() throws Exception {
        Map<String, String> before = snapshot(live);
        int[] calls = {0};
        assertThatThrownBy(() -> restore()
                        .checkpoint(() -> {
                            if (++calls[0] == 4) {
                                throw new java.util.concurrent.CancellationException("stop");
                            }
                        })
                        .run())
                .isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(snapshot(live)).isEqualTo(before);
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void mergeRefusesToWriteThroughALinkInTheTarget() throws Exception {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        MediaRestore.deleteTree(live.resolve("docs"));
        Files.createSymbolicLink(live.resolve("docs"), elsewhere);
        Map<String, String> before = snapshot(live);

        assertThatThrownBy(() -> restore().mode(MediaRestore.Mode.MERGE).run())
                .isInstanceOf(UnsafeMediaPathException.class)
                .hasMessageContaining("'docs' in the target is a symbolic link");
        assertThat(snapshot(live)).isEqualTo(before);
        try (var s = Files.list(elsewhere)) {
            assertThat(s).isEmpty();
        }
    }

    static java.util.Set<java.nio.file.attribute.PosixFilePermission> perms(String s) {
        return java.nio.file.attribute.PosixFilePermissions.fromString(s);
    }

    static void chmod(Path p, java.util.Set<java.nio.file.attribute.PosixFilePermission> perms) throws Exception {
        Files.setPosixFilePermissions(p, perms);
    }

    @Test
    void replaceKeepsExcludedPathsWhereTheyAreEvenUnderReadOnlyDirectoriesOfTheBackup() throws Exception {
        // The backup has docs/ read-only; the live tree keeps excluded files in it and in a directory of its own.
        Path root = tmp.resolve("src");
        chmod(root.resolve("docs"), perms("r-xr-xr-x"));
        backup(MediaBackup.of("u", root).exclude(List.of("**.tmp", "cache/**")), archive);
        Files.writeString(live.resolve("docs/draft.tmp"), "excluded draft");
        Files.createDirectories(live.resolve("only-here/cache/deep"));
        Files.writeString(live.resolve("only-here/cache/deep/x.bin"), "excluded below a directory the backup lacks");
        Files.createDirectories(live.resolve("cache"));
        Files.writeString(live.resolve("cache/y.bin"), "excluded cache");
        chmod(live.resolve("cache"), perms("r-x------"));
        try {
            MediaRestore.Plan dry = restore()
                    .keepExcluded(List.of(), List.of("**.tmp", "cache/**"))
                    .dryRun();
            assertThat(dry.kept()).containsExactly("cache/y.bin", "docs/draft.tmp");
            MediaRestore.Result r = restore()
                    .keepExcluded(List.of(), List.of("**.tmp", "cache/**"))
                    .run();

            assertThat(live.resolve("docs/a.txt")).hasContent("a from backup");
            assertThat(live.resolve("new-since.txt")).doesNotExist();
            assertThat(live.resolve("docs/draft.tmp")).hasContent("excluded draft");
            assertThat(live.resolve("cache/y.bin")).hasContent("excluded cache");
            // '**.tmp' and 'cache/**' do not reach only-here/cache/..., which the backup lacks: removed, as before.
            assertThat(live.resolve("only-here")).doesNotExist();
            assertThat(r.plan().kept()).containsExactly("cache/y.bin", "docs/draft.tmp");
            assertThat(r.plan().removed())
                    .contains("new-since.txt", "only-here")
                    .doesNotContain("cache", "docs/draft.tmp");
            assertThat(Files.getPosixFilePermissions(live.resolve("docs"))).isEqualTo(perms("r-xr-xr-x"));
            assertThat(leftovers(tmp)).isEmpty();
        } finally {
            chmod(live.resolve("docs"), perms("rwx------"));
            chmod(root.resolve("docs"), perms("rwx------"));
            if (Files.exists(live.resolve("cache"))) {
                chmod(live.resolve("cache"), perms("rwx------"));
            }
        }
    }

    @Test
    void filesAnIncludeFilterLeavesOutAreKeptAndArchivedOnesThereAreNotRestored() throws Exception {
        Files.writeString(live.resolve("notes.log"), "never backed up: not included");
        Files.writeString(live.resolve("c.txt"), "c changed since");
        MediaRestore.Result r =
                restore().keepExcluded(List.of("**.txt"), List.of()).run();
        assertThat(live.resolve("notes.log")).hasContent("never backed up: not included");
        assertThat(live.resolve("new-since.txt")).doesNotExist();
        assertThat(live.resolve("c.txt")).hasContent("c from backup");

        // Merge: an archived path the filters exclude is never overwritten.
        Files.writeString(live.resolve("c.txt"), "c changed again");
        restore()
                .mode(MediaRestore.Mode.MERGE)
                .keepExcluded(List.of(), List.of("c.txt"))
                .run();
        assertThat(live.resolve("c.txt")).hasContent("c changed again");
        assertThat(r.plan().kept()).containsExactly("notes.log");
    }

    @Test
    void aBackupWithAFileWhereTheTargetKeepsAnExcludedPathIsRefusedBeforeAnythingChanges() throws Exception {
        MediaRestore.deleteTree(live.resolve("docs"));
        Files.createDirectories(live.resolve("c.txt"));
        Files.writeString(live.resolve("c.txt/inside.tmp"), "excluded, below what the backup has as a file");
        Map<String, String> before = snapshot(live);
        for (boolean dry : new boolean[] {true, false}) {
            assertThatThrownBy(() -> {
                        MediaRestore m = restore().keepExcluded(List.of(), List.of("**.tmp"));
                        if (dry) {
                            m.dryRun();
                        } else {
                            m.run();
                        }
                    })
                    .isInstanceOf(MediaRestoreException.class)
                    .hasMessageContaining("'c.txt'")
                    .hasMessageContaining("c.txt/inside.tmp");
            assertThat(snapshot(live)).isEqualTo(before);
            assertThat(leftovers(tmp)).isEmpty();
        }
    }

    @Test
    void filesCanComeFromAnotherArchiveThroughTheContentSeamInPathOrder() throws Exception {
        Path other = tmp.resolve("other.tar");
        backup(MediaBackup.of("u", tmp.resolve("src")), other);
        ArchiveReader otherReader = ArchiveReader.open(other);
        List<String> opened = new java.util.ArrayList<>();
        MediaContent otherContent = MediaContent.of(otherReader);
        // The same paths, where the other archive stored them (packs differ between two backups of one tree).
        Map<String, MediaFile> otherFiles = new java.util.HashMap<>();
        otherReader.manifest().media().get(0).files().forEach(f -> otherFiles.put(f.path(), f));
        MediaContent fromOther = f -> {
            opened.add(f.path());
            return otherContent.open(otherFiles.get(f.path()));
        };

        restore().content(fromOther).run();

        assertThat(snapshot(live)).isEqualTo(snapshot(tmp.resolve("src")));
        assertThat(opened).hasSize(8).isSorted();
    }

    @Test
    void contentThatFailsItsVerificationLeavesTheTargetUntouched() throws Exception {
        Map<String, String> before = snapshot(live);
        ArchiveReader reader = ArchiveReader.open(archive);
        MediaContent damaged = f -> f.path().equals("docs/bulk3.txt")
                ? new java.io.SequenceInputStream(
                        new java.io.ByteArrayInputStream(new byte[10]), new java.io.InputStream() {
                            @Override
                            public int read() throws java.io.IOException {
                                throw new dev.holdfast.archive.CorruptArchiveException("holder archive damaged");
                            }
                        })
                : reader.openEntry(f.entry());

        assertThatThrownBy(() ->
                        MediaRestore.of(reader, "u", live).content(damaged).run())
                .isInstanceOf(MediaRestoreException.class)
                .hasMessageContaining("docs/bulk3.txt")
                .hasMessageContaining("holder archive damaged");
        assertThat(snapshot(live)).isEqualTo(before);
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void theStagedTreeIsSyncedWholeBeforeAnyRenameAndAFailedSyncLeavesTheTargetUntouched() throws Exception {
        Map<String, String> before = snapshot(live);
        Map<String, String> expected = snapshot(tmp.resolve("src"));
        List<Map<String, String>> atSync = new java.util.ArrayList<>();
        restore()
                .durability(staging -> {
                    // What a crash right after the sync would find: the target as it was, the tree fully staged.
                    assertThat(snapshot(live)).isEqualTo(before);
                    atSync.add(snapshot(staging));
                    MediaDurability.sync(staging);
                })
                .run();
        assertThat(atSync).containsExactly(expected);
        assertThat(snapshot(live)).isEqualTo(expected);

        Files.writeString(live.resolve("docs/a.txt"), "changed again");
        Map<String, String> changed = snapshot(live);
        assertThatThrownBy(() -> restore()
                        .durability(staging -> {
                            throw new java.io.IOException("syncfs: Input/output error");
                        })
                        .run())
                .hasMessageContaining("Input/output error");
        assertThat(snapshot(live)).isEqualTo(changed);
        assertThat(leftovers(tmp)).isEmpty();
    }

    @Test
    void withoutTheSyncProgramEveryFileAndDirectoryIsFsynced() throws Exception {
        // The fallback where `sync -f` cannot be started: it must read every staged file without failing.
        MediaDurability.fsyncTree(tmp.resolve("src"));
        assertThat(snapshot(tmp.resolve("src")).keySet()).contains("docs/sub/b.txt");
    }
}
