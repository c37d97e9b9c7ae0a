package dev.holdfast.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.archive.Manifest.MediaSection;
import dev.holdfast.archive.ManifestCodec;
import dev.holdfast.archive.WrittenFiles;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The catalog's file index of a media root, encoded from the files or from the JSON the manifest shares. */
class MediaIndexTest {
    @Test
    void theIndexFromTheManifestsJsonReadsBackTheFiles() {
        List<MediaFile> files = files();
        MediaSection section = new MediaSection("u", files, List.of(), Map.of());
        byte[] shared = MediaIndex.encodeJson(WrittenFiles.of(List.of(section)).json(section));

        assertThat(MediaIndex.decode(shared)).isEqualTo(files);
        assertThat(shared).isEqualTo(MediaIndex.encode(files));
        MediaIndex index = MediaIndex.of("b-1", new MediaSection("u", MediaIndex.decode(shared), List.of(), Map.of()));
        assertThat(index.unchanged("d/f4", 4, files.get(4).mtime(), files.get(4).ctime(), 4)
                        .holder())
                .isEqualTo("b-0");
        assertThat(index.unchanged("d/f5", 5, files.get(5).mtime(), files.get(5).ctime(), 5)
                        .holder())
                .isEqualTo("b-1");
    }

    @Test
    void indexesOfEarlierVersionsStillReadAndAnythingElseIsRefused() {
        List<MediaFile> files = files();
        // Up to 2026-12-05 an index was one zstd frame compressed at once, which records its content size.
        byte[] earlier = Zstd.compress(ManifestCodec.filesJson(files).toByteArray(), 1);
        assertThat(MediaIndex.decode(earlier)).isEqualTo(files);
        assertThatThrownBy(() -> MediaIndex.decode("[]".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("not a media index");
        byte[] cut = Arrays.copyOf(MediaIndex.encode(files), 100);
        assertThatThrownBy(() -> MediaIndex.decode(cut)).hasMessageContaining("not a media index");
    }

    private static List<MediaFile> files() {
        List<MediaFile> files = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            Instant t = Instant.ofEpochSecond(1_700_000_000L + i, i * 1_001L);
            files.add(
                    i % 3 == 0
                            ? new MediaFile(
                                    "d/f" + i,
                                    "media/u/packs/" + i,
                                    i,
                                    "0644",
                                    t,
                                    "h" + i,
                                    null,
                                    (long) i,
                                    t,
                                    "f" + i,
                                    512L * i)
                            : new MediaFile(
                                    "d/f" + i,
                                    "media/u/files/d/f" + i,
                                    i,
                                    "0600",
                                    t,
                                    "h" + i,
                                    i % 2 == 0 ? "b-0" : null,
                                    (long) i,
                                    t));
        }
        return files;
    }
}
