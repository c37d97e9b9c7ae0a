package dev.holdfast.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.source.SourceRegistry;
import dev.holdfast.support.TestDatabase;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rules of {@link RestoreTargets} that the test profile's configuration cannot reach. */
class RestoreTargetsTest {

    /** As with no holdfast.databases configured: the catalog's own database is the source {@code default}. */
    static RestoreTargets catalogIsTheDefaultSource() {
        TestDatabase.ensureDatabase(TestDatabase.CATALOG_DB);
        String url = TestDatabase.url(TestDatabase.CATALOG_DB);
        RestoreTargets t = new RestoreTargets();
        t.catalogUrl = url.replace("127.0.0.1", "localhost");
        t.sources = new SourceRegistry() {
            @Override
            public Map<String, DatabaseSource> databases() {
                return Map.of(
                        "default",
                        new DatabaseSource("default", url, Optional.of(TestDatabase.USER), Optional.empty()));
            }
        };
        return t;
    }

    @Test
    void theCatalogDatabaseConfiguredAsASourceTakesReplaceRestoresButNeverCleanOnes() {
        RestoreTargets t = catalogIsTheDefaultSource();
        RestoreTargets.DatabaseTarget replace = t.database("default", null, "replace");
        assertThat(replace.asSource()).isEqualTo("default");
        assertThat(replace.needsUncoveredChange()).isFalse();
        assertThat(t.database("default", TestDatabase.CATALOG_DB, "replace").asSource())
                .isEqualTo("default");

        for (String target : new String[] {null, TestDatabase.CATALOG_DB}) {
            assertThatThrownBy(() -> t.database("default", target, "clean"))
                    .isInstanceOf(InvalidRestoreRequest.class)
                    .hasMessageContaining("restore_mode")
                    .hasMessageContaining("Holdfast's own catalog database");
        }
    }

    @Test
    void mediaTargetSpellingsThatAreNotOneAbsoluteNormalPathAreRefused() {
        assertThat(RestoreTargets.unsafe("/srv/restores/a")).isNull();
        assertThat(RestoreTargets.unsafe("")).contains("empty");
        assertThat(RestoreTargets.unsafe("srv/a")).contains("absolute");
        assertThat(RestoreTargets.unsafe("/")).contains("filesystem root");
        assertThat(RestoreTargets.unsafe("/srv//a")).contains("empty path segment");
        assertThat(RestoreTargets.unsafe("/srv/a/")).contains("empty path segment");
        assertThat(RestoreTargets.unsafe("/srv/./a")).contains("'.'");
        assertThat(RestoreTargets.unsafe("/srv/../etc")).contains("'..'");
    }

    @Test
    void databasePatternsAreWholeNameGlobs() {
        assertThat(RestoreTargets.glob("restore_*").matcher("restore_x").matches())
                .isTrue();
        assertThat(RestoreTargets.glob("restore_*").matcher("xrestore_x").matches())
                .isFalse();
        assertThat(RestoreTargets.glob("*_scratch").matcher("app_scratch").matches())
                .isTrue();
        assertThat(RestoreTargets.glob("db?").matcher("db1").matches()).isTrue();
        assertThat(RestoreTargets.glob("a.b").matcher("axb").matches()).isFalse();
        assertThat(RestoreTargets.server("jdbc:postgresql://localhost/x"))
                .isEqualTo(RestoreTargets.server("jdbc:postgresql://127.0.0.1:5432/y"));
        assertThat(RestoreTargets.server("jdbc:postgresql://db1:5432/x"))
                .isNotEqualTo(RestoreTargets.server("jdbc:postgresql://db1:5433/x"));
    }
}
