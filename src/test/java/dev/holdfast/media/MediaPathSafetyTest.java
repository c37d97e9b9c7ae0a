package dev.holdfast.media;

import static dev.holdfast.media.MediaTestSupport.crafted;
import static dev.holdfast.media.MediaTestSupport.leftovers;
import static dev.holdfast.media.MediaTestSupport.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest.MediaDirectory;
import dev.holdfast.archive.Manifest.MediaSymlink;
import dev.holdfast.archive.UnsafeEntryNameException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaPathSafetyTest {
    @TempDir
    Path tmp;

    Path target;
    Map<String, String> before;

    @BeforeEach
    void existingTarget() throws Exception {
        target = Files.createDirectories(tmp.resolve("sandbox/target"));
        Files.writeString(target.resolve("keep.txt"), "precious");
        Files.createDirectories(tmp.resolve("sandbox/sub"));
        before = state();
    }

    /** The target and its neighbour exactly, and which names exist beside them. */
    private Map<String, String> state() throws Exception {
        Map<String, String> s = new java.util.TreeMap<>();
        snapshot(target).forEach((k, v) -> s.put("target/" + k, v));
        snapshot(tmp.resolve("sandbox/sub")).forEach((k, v) -> s.put("sub/" + k, v));
        try (var l = Files.list(tmp.resolve("sandbox"))) {
            l.forEach(p -> s.put("sandbox/" + p.getFileName(), "present"));
        }
        return s;
    }

    private void refused(Path archive, String reason) throws Exception {
        for (MediaRestore.Mode mode : MediaRestore.Mode.values()) {
            assertThatThrownBy(() -> MediaRestore.of(ArchiveReader.open(archive), "u", target)
                            .mode(mode)
                            .run())
                    .isInstanceOf(UnsafeMediaPathException.class)
                    .hasMessageContaining(reason);
            assertThatThrownBy(() -> MediaRestore.of(ArchiveReader.open(archive), "u", target)
                            .mode(mode)
                            .dryRun())
                    .isInstanceOf(UnsafeMediaPathException.class);
        }
        assertThat(state()).isEqualTo(before);
        assertThat(leftovers(tmp.resolve("sandbox"))).isEmpty();
    }

    private Path files(String... pathsThenContent) throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : pathsThenContent) {
            m.put(p, "pwned");
        }
        return crafted(tmp.resolve("evil.tar"), m, List.of(), List.of());
    }

    @Test
    void absolutePathIsRefused() throws Exception {
        refused(files("ok.txt", tmp.resolve("sandbox/sub/abs.txt").toString()), "absolute path");
    }

    @Test
    void dotDotIsRefused() throws Exception {
        refused(files("ok.txt", "a/../../sub/escape.txt"), "'..' segment");
    }

    @Test
    void nulIsRefused() throws Exception {
        refused(files("a\u0000b.txt"), "contains NUL");
    }

    @Test
    void backslashIsRefused() throws Exception {
        refused(files("..\\sub\\x.txt"), "backslash");
    }

    @Test
    void aDirectoryEscapingIsRefused() throws Exception {
        refused(
                crafted(
                        tmp.resolve("evil.tar"),
                        Map.of("ok.txt", "x"),
                        List.of(),
                        List.of(new MediaDirectory("../sub/newdir", "0777", MediaTestSupport.T))),
                "'..' segment");
    }

    @Test
    void aLinkPointingOutsideIsRefused() throws Exception {
        refused(
                crafted(
                        tmp.resolve("evil.tar"),
                        Map.of("ok.txt", "x"),
                        List.of(new MediaSymlink("l", "../sub", MediaTestSupport.T)),
                        List.of()),
                "resolves outside");
        refused(
                crafted(
                        tmp.resolve("evil.tar"),
                        Map.of("ok.txt", "x"),
                        List.of(new MediaSymlink("l", "/etc", MediaTestSupport.T)),
                        List.of()),
                "points outside");
    }

    @Test
    void aLinkEscapingThroughAnotherLinkIsRefused() throws Exception {
        // d/up resolves to the root (inside); d/up2 = d/up/.. looks like "d" by its text, but is the parent of the
        // root.
        refused(
                crafted(
                        tmp.resolve("evil.tar"),
                        Map.of("d/ok.txt", "x"),
                        List.of(
                                new MediaSymlink("d/up", "..", MediaTestSupport.T),
                                new MediaSymlink("d/up2", "up/..", MediaTestSupport.T)),
                        List.of()),
                "through 'd/up'");
    }

    @Test
    void aPathThroughAnExtractedLinkIsRefused() throws Exception {
        refused(
                crafted(
                        tmp.resolve("evil.tar"),
                        Map.of("l/pwn.txt", "x"),
                        List.of(new MediaSymlink("l", tmp.resolve("sandbox/sub").toString(), MediaTestSupport.T)),
                        List.of()),
                "goes through the symbolic link 'l'");
        // Even a link that stays inside: nothing is ever written through a link.
        refused(
                crafted(
                        tmp.resolve("evil.tar"),
                        Map.of("real/x.txt", "x", "l/y.txt", "y"),
                        List.of(new MediaSymlink("l", "real", MediaTestSupport.T)),
                        List.of()),
                "goes through the symbolic link 'l'");
    }

    @Test
    void aLinkInsideIsAcceptedAndOutsideOnlyWhenAllowed() throws Exception {
        Path ok = crafted(
                tmp.resolve("ok.tar"),
                Map.of("real/x.txt", "x"),
                List.of(
                        new MediaSymlink("l", "real/x.txt", MediaTestSupport.T),
                        new MediaSymlink("real/up", "../real", MediaTestSupport.T),
                        new MediaSymlink("out", "/etc/hostname", MediaTestSupport.T)),
                List.of());
        assertThatThrownBy(() ->
                        MediaRestore.of(ArchiveReader.open(ok), "u", target).run())
                .hasMessageContaining("'out'")
                .hasMessageContaining("allowSymlinksOutsideTarget");
        MediaRestore.of(ArchiveReader.open(ok), "u", target)
                .allowSymlinksOutsideTarget(true)
                .run();
        assertThat(Files.readSymbolicLink(target.resolve("out"))).isEqualTo(Path.of("/etc/hostname"));
        assertThat(target.resolve("l")).hasContent("x");
    }

    @Test
    void anUnsafeTarEntryNameIsRefusedBeforeAnythingIsRead() throws Exception {
        Path evil = tmp.resolve("evil-raw.tar");
        try (OutputStream out = Files.newOutputStream(evil);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            byte[] data = "pwned".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry("media/u/files/../../../sub/x.txt", true);
            e.setSize(data.length);
            tar.putArchiveEntry(e);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        assertThatThrownBy(() -> ArchiveReader.open(evil))
                .isInstanceOf(UnsafeEntryNameException.class)
                .hasMessageContaining("'..' segment");
        assertThat(state()).isEqualTo(before);
    }
}
