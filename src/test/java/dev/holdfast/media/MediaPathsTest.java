package dev.holdfast.media;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which relative paths {@link MediaPaths#unsafeReason} lets through, segment by segment. */
class MediaPathsTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            nullValues = "OK",
            value = {
                "a|OK",
                "a/b/c.txt|OK",
                ".hidden/..dots/...|OK",
                "a./.b/a..b|OK",
                "/a|absolute path",
                "a//b|empty path segment",
                "a/|empty path segment",
                "a/b/|empty path segment",
                ".|'.' segment",
                "./a|'.' segment",
                "a/./b|'.' segment",
                "a/.|'.' segment",
                "..|'..' segment",
                "../a|'..' segment",
                "a/../b|'..' segment",
                "a/..|'..' segment",
                "a\\b|contains a backslash",
                "c:/x|drive-letter path",
            })
    void judgesEverySegment(String path, String reason) {
        assertThat(MediaPaths.unsafeReason(path)).isEqualTo(reason);
    }
}
