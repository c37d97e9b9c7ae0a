package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EntryNamesTest {
    @Test
    void conventionsProduceReadableSafeNames() {
        assertThat(EntryNames.schema("main")).isEqualTo("databases/main/schema.dump");
        assertThat(EntryNames.tableData("main", "public", "orders", Codec.ZSTD))
                .isEqualTo("databases/main/data/public.orders.copy.zst");
        assertThat(EntryNames.mediaFile("uploads", "2024/05/photo 1.jpg", Codec.NONE))
                .isEqualTo("media/uploads/files/2024/05/photo 1.jpg");
    }

    @Test
    void identifiersWithSeparatorsAreEncodedReversibly() {
        String name = EntryNames.tableData("main", "my.schema", "Ord/ers%\"x\"", Codec.GZIP);
        assertThat(name).isEqualTo("databases/main/data/my%2Eschema.Ord%2Fers%25%22x%22.copy.gz");
        String[] parts = name.substring("databases/main/data/".length(), name.length() - ".copy.gz".length())
                .split("\\.");
        assertThat(parts).hasSize(2);
        assertThat(EntryNames.decode(parts[0])).isEqualTo("my.schema");
        assertThat(EntryNames.decode(parts[1])).isEqualTo("Ord/ers%\"x\"");
    }

    @Test
    void pathSegmentsKeepUnicodeAndEscapeOnlyWhatIsDangerous() {
        for (String s : new String[] {"résumé.pdf", "a\\b", "..", ".", "100%", "tab\there", "日本語.txt", "😀.png"}) {
            String enc = EntryNames.encodePathSegment(s);
            assertThatCode(() -> EntryNames.requireSafe("media/x/files/" + enc))
                    .as(s)
                    .doesNotThrowAnyException();
            assertThat(EntryNames.decode(enc)).as(s).isEqualTo(s);
        }
        assertThat(EntryNames.encodePathSegment("résumé.pdf")).isEqualTo("résumé.pdf");
        assertThat(EntryNames.encodePathSegment("..")).isEqualTo("%2E%2E");
    }

    @Test
    void unsafeNamesAreRefused() {
        for (String bad : new String[] {
            "", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", "a\\b", "a\u0000b", "a\nb", "C:/x", ".."
        }) {
            assertThatThrownBy(() -> EntryNames.requireSafe(bad))
                    .as("'%s'", bad)
                    .isInstanceOf(UnsafeEntryNameException.class);
        }
    }
}
