package dev.holdfast.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staged files whose recorded mode denies their owner reading, as a service that is not root meets them: their
 * mtime and mode are set, the tree synced and every file confirmed ({@link MediaDurability#sync}) in a JVM started
 * as {@code nobody} through {@code setpriv}, so the test needs root and util-linux (as this project's CI has);
 * elsewhere it is skipped.
 */
class MediaDurabilityAsNonRootTest {
    private static final int NOBODY = 65534;
    private static final Instant T = Instant.parse("2024-03-01T10:00:00Z");

    @TempDir
    Path tmp;

    @Test
    void filesTheirOwnerMayNotReadGetTheirMtimesAndModesAndAreConfirmed() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to start a JVM as nobody");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path staging = Files.createDirectories(tmp.resolve("staging/sub")).getParent();
        for (Path d : List.of(staging, staging.resolve("sub"))) {
            Files.setAttribute(d, "unix:uid", NOBODY, LinkOption.NOFOLLOW_LINKS);
        }
        Map<String, Integer> modes = new TreeMap<>(
                Map.of("other-only.txt", 0044, "sub/write-only.bin", 0200, "none.txt", 0000, "plain.txt", 0644));

        List<String> cmd = new ArrayList<>(List.of(
                "/usr/bin/setpriv",
                "--reuid=" + NOBODY,
                "--regid=" + NOBODY,
                "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                childClassPath().toString(),
                Staged.class.getName(),
                staging.toString()));
        modes.forEach((path, mode) -> cmd.add(path + "=" + mode));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("staged and confirmed as uid " + NOBODY);

        for (Map.Entry<String, Integer> e : modes.entrySet()) {
            Path f = staging.resolve(e.getKey());
            FileStat st = FileStat.of(f);
            assertThat(st.mode() & 07777).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(st.mtime()).as(e.getKey()).isEqualTo(T);
            assertThat(Files.getOwner(f).getName()).isEqualTo("nobody");
            assertThat(Files.readString(f)).isEqualTo("content of " + e.getKey());
        }
    }

    /**
     * This package's classes, main and test, copied where {@code nobody} can read them: the build's own directories
     * may lie under one only root may enter.
     */
    private Path childClassPath() throws Exception {
        Path cp = tmp.resolve("cp");
        Path pkg = cp.resolve("dev/holdfast/media");
        Files.createDirectories(pkg);
        for (Class<?> c : List.of(MediaDurability.class, Staged.class)) {
            Path dir = Path.of(c.getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .resolve("dev/holdfast/media");
            try (Stream<Path> classes = Files.list(dir)) {
                for (Path f :
                        classes.filter(f -> f.toString().endsWith(".class")).toList()) {
                    Files.copy(f, pkg.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        try (Stream<Path> all = Files.walk(cp)) {
            for (Path f : all.toList()) {
                MediaPaths.setMode(f, Files.isDirectory(f) ? 0755 : 0644);
            }
        }
        return cp;
    }

    /**
     * The child: what a restore does to each staged file after writing it ({@link MediaPaths#setMtimeThenMode}, as
     * {@code MediaStaging} does), then the sync and confirmation of the tree, as the user it was started as.
     */
    public static final class Staged {
        public static void main(String[] args) throws IOException {
            Path staging = Path.of(args[0]);
            for (int k = 1; k < args.length; k++) {
                String[] pathAndMode = args[k].split("=");
                Path f = staging.resolve(pathAndMode[0]);
                Files.writeString(f, "content of " + pathAndMode[0]);
                MediaPaths.setMtimeThenMode(f, T, Integer.parseInt(pathAndMode[1]));
            }
            MediaDurability.sync(staging);
            System.out.println("staged and confirmed as uid " + Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        }
    }
}
