package dev.holdfast.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drill scratch directory may never be a media root, inside one, or hold one, not even through a link. */
class DrillScratchDirTest {
    @TempDir
    Path tmp;

    @Test
    void aDirectoryApartFromEveryRootIsAccepted() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("media"));
        assertThat(DrillMedia.checkScratchDir(tmp.resolve("drills"), List.of(root)))
                .isEqualTo(tmp.toRealPath().resolve("drills"));
        // A sibling whose name starts like the root's is apart from it.
        DrillMedia.checkScratchDir(tmp.resolve("media-drills"), List.of(root));
    }

    @Test
    void theRootItselfAPlaceInsideItAndAParentOfItAreRefused() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("media"));
        assertThatThrownBy(() -> DrillMedia.checkScratchDir(root, List.of(root)))
                .hasMessageContaining("media root");
        assertThatThrownBy(() -> DrillMedia.checkScratchDir(root.resolve("drills"), List.of(root)))
                .hasMessageContaining("holdfast.drills.scratch-dir");
        assertThatThrownBy(() -> DrillMedia.checkScratchDir(tmp, List.of(root))).hasMessageContaining("media root");
    }

    @Test
    void aLinkIntoARootIsSeenThrough() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("media"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), root);
        assertThatThrownBy(() -> DrillMedia.checkScratchDir(link.resolve("drills"), List.of(root)))
                .hasMessageContaining("media root");
    }
}
