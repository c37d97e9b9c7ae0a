package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client tools of several majors side by side: fake installations 13, 16 and 18 (which only answer
 * {@code --version}) beside this machine's real PostgreSQL 15 tools; each server gets its own major, else the oldest
 * newer one, and a server newer than all of them gets an error naming what was found.
 */
class PgToolsDiscoveryTest {
    @TempDir
    Path dir;

    void fake(int major) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("pg/" + major + "/bin"));
        for (String tool : List.of("pg_dump", "pg_restore")) {
            Path p = bin.resolve(tool);
            Files.writeString(
                    p,
                    "#!/bin/sh\n[ \"$1\" = --version ] && { echo '" + tool + " (PostgreSQL) " + major
                            + ".2'; exit 0; }\necho 'a fake " + tool + " was used' >&2; exit 3\n");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void eachServerGetsItsOwnMajorElseTheOldestNewerOne() throws Exception {
        fake(13);
        fake(16);
        fake(18);
        PgTools all = PgTools.discover(
                Optional.empty(), List.of(dir + "/pg/*/bin", "/usr/lib/postgresql/*/bin", dir + "/missing/*/bin"));
        assertThat(all.installations().stream().map(t -> t.pgDumpVersion().major()))
                .as("newest first")
                .startsWith(18, 16)
                .contains(15, 13)
                .isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(all.pgDumpVersion().major())
                .as("the newest serves by default (restores)")
                .isEqualTo(18);

        PgTools for15 = all.forServer(150004);
        assertThat(for15.pgDumpVersion().major()).isEqualTo(15);
        assertThat(for15.pgDumpPath().startsWith(dir))
                .as("the real one, not a fake")
                .isFalse();
        assertThat(all.forServer(160003).pgDumpPath()).isEqualTo(dir.resolve("pg/16/bin/pg_dump"));
        assertThat(all.forServer(170001).pgDumpPath()).as("oldest newer").isEqualTo(dir.resolve("pg/18/bin/pg_dump"));
        assertThat(all.forServer(120005).pgDumpPath()).isEqualTo(dir.resolve("pg/13/bin/pg_dump"));
        assertThatThrownBy(() -> all.forServer(190000))
                .isInstanceOf(PgEngineException.class)
                .hasMessageContaining("No pg_dump of major 19 or newer")
                .hasMessageContaining("18 (" + dir.resolve("pg/18/bin") + ")")
                .hasMessageContaining("postgresql-client-19")
                .hasMessageContaining("holdfast.pg.search-path");
    }

    @Test
    void anExplicitBinDirIsTheOnlyChoiceAndNothingFoundSaysWhere() throws Exception {
        fake(16);
        PgTools only = PgTools.discover(Optional.of(dir.resolve("pg/16/bin")), List.of("/usr/lib/postgresql/*/bin"));
        assertThat(only.installations()).hasSize(1);
        assertThatThrownBy(() -> only.forServer(170000))
                .isInstanceOf(PgEngineException.class)
                .hasMessageContaining("must be 17 or newer")
                .hasMessageContaining("holdfast.pg.bin-dir");
        assertThat(only.forServer(150000).pgDumpVersion().major()).isEqualTo(16);
    }
}
