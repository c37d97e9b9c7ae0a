package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgToolsTest {

    @TempDir
    Path dir;

    @Test
    void jdbcUrlBecomesLibpqEnvironment() {
        LibpqParams p = LibpqParams.fromJdbcUrl(
                "jdbc:postgresql://db.example:6543/my%20db?sslmode=verify-full&sslrootcert=/etc/ca.pem&ApplicationName=hf&password=s3cret&user=u");
        assertThat(p.host()).isEqualTo("db.example");
        assertThat(p.port()).isEqualTo("6543");
        assertThat(p.dbname()).isEqualTo("my db");
        assertThat(p.user()).isEqualTo("u");
        assertThat(p.password()).isEqualTo("s3cret");
        assertThat(p.environment())
                .containsEntry("PGSSLMODE", "verify-full")
                .containsEntry("PGSSLROOTCERT", "/etc/ca.pem")
                .containsEntry("PGAPPNAME", "hf")
                .containsEntry("PGDATABASE", "my db")
                .doesNotContainValue("s3cret");
        assertThat(p.toString()).doesNotContain("s3cret");
        assertThat(LibpqParams.redactUrl("jdbc:postgresql://h/d?password=s3cret&x=1"))
                .doesNotContain("s3cret");

        LibpqParams multi = LibpqParams.fromJdbcUrl("jdbc:postgresql://a:1,[::1]:2,c/app?ssl=true");
        assertThat(multi.host()).isEqualTo("a,::1,c");
        assertThat(multi.port()).isEqualTo("1,2,5432");
        assertThat(multi.environment()).containsEntry("PGSSLMODE", "verify-full");

        LibpqParams local = LibpqParams.fromJdbcUrl("jdbc:postgresql:app");
        assertThat(local.host()).isEqualTo("localhost");
        assertThat(local.dbname()).isEqualTo("app");
        assertThat(local.withLogin("x", null).user()).isEqualTo("x");

        assertThat(new PgConnectionInfo("jdbc:postgresql://h:1/a?sslmode=require", "u", "p")
                        .withDatabase("postgres")
                        .jdbcUrl())
                .isEqualTo("jdbc:postgresql://h:1/postgres?sslmode=require");
        assertThat(new PgConnectionInfo("jdbc:postgresql://h/a", "u", "secret").toString())
                .doesNotContain("secret");
    }

    @Test
    void realToolsAreFoundOnPathAndMatchTheServer() {
        PgTools tools = PgTools.locate(Optional.empty());
        assertThat(tools.pgDumpVersion().major()).isGreaterThanOrEqualTo(10);
        assertThat(tools.pgRestoreVersion().text()).startsWith("pg_restore (PostgreSQL)");
        tools.requireCompatible(tools.pgDumpVersion().major() * 10000 + 1);
    }

    @Test
    void olderClientThanServerIsRefusedWithBothVersionsAndTheFix() throws Exception {
        fakeTool("pg_dump", "echo 'pg_dump (PostgreSQL) 14.9 (Debian 14.9-1)'");
        fakeTool("pg_restore", "echo 'pg_restore (PostgreSQL) 14.9'");
        PgTools tools = PgTools.locate(Optional.of(dir));
        assertThat(tools.pgDumpVersion().major()).isEqualTo(14);
        assertThat(tools.pgDumpVersion().minor()).isEqualTo(9);
        assertThatThrownBy(() -> tools.requireCompatible(150004))
                .isInstanceOf(PgEngineException.class)
                .hasMessageContaining("pg_dump 14.9")
                .hasMessageContaining("(15.4)")
                .hasMessageContaining("must be 15 or newer")
                .hasMessageContaining("postgresql-client-15")
                .hasMessageContaining("holdfast.pg.bin-dir");
        tools.requireCompatible(140002);
        PgTools.requireCompatible(tools.pgDumpVersion(), 90624);
    }

    @Test
    void missingToolsGiveAClearError() {
        assertThatThrownBy(() -> PgTools.locate(Optional.of(dir)))
                .isInstanceOf(PgEngineException.class)
                .hasMessageContaining("pg_dump not found in " + dir);
    }

    @Test
    void passwordTravelsInA0600PassfileThatIsDeletedAfterwardsNeverAsAnArgument() throws Exception {
        Path out = dir.resolve("out");
        Files.createDirectory(out);
        fakeTool("pg_restore", "echo 'pg_restore (PostgreSQL) 15.0'");
        fakeTool(
                "pg_dump",
                "echo \"$@\" > " + out + "/args; env | grep '^PG' | sort > " + out + "/env; cat \"$PGPASSFILE\" > "
                        + out + "/pass; stat -c %a \"$PGPASSFILE\" > " + out + "/mode; echo \"$PGPASSFILE\" > " + out
                        + "/path; printf 'DUMP'");
        PgTools tools = PgTools.locate(Optional.of(dir));
        ByteArrayOutputStream dump = new ByteArrayOutputStream();
        PgTools.RunResult r = tools.dumpSchema(
                new PgConnectionInfo("jdbc:postgresql://dbhost:5433/app?sslmode=require", "bob", "pa:ss\\word"),
                "00000003-0000001B-1",
                new PgTools.DumpFilter(
                        List.of("holdfast", "Odd\"Schema"),
                        List.of(new TableRef("public", "Order")),
                        List.of(new TableRef("public", "big"))),
                Duration.ofSeconds(10),
                dump);
        assertThat(dump.toString()).isEqualTo("DUMP");
        assertThat(r.stdoutBytes()).isEqualTo(4);
        String args = Files.readString(out.resolve("args"));
        assertThat(args)
                .doesNotContain("pa:ss")
                .contains(
                        "--snapshot=00000003-0000001B-1",
                        "--schema-only",
                        "--format=custom",
                        "--exclude-schema=\"holdfast\"",
                        "--exclude-schema=\"Odd\"\"Schema\"",
                        "--exclude-table=\"public\".\"Order\"",
                        "--exclude-table-data=\"public\".\"big\"",
                        "--lock-wait-timeout=10000");
        assertThat(Files.readString(out.resolve("pass"))).isEqualTo("*:*:*:bob:pa\\:ss\\\\word\n");
        assertThat(Files.readString(out.resolve("mode")).strip()).isEqualTo("600");
        assertThat(Files.readString(out.resolve("env")))
                .contains("PGHOST=dbhost", "PGPORT=5433", "PGDATABASE=app", "PGUSER=bob", "PGSSLMODE=require")
                .doesNotContain("PGPASSWORD");
        assertThat(Path.of(Files.readString(out.resolve("path")).strip())).doesNotExist();
    }

    @Test
    void failingToolReportsTheTailOfItsStderrBounded() throws Exception {
        fakeTool("pg_restore", "echo 'pg_restore (PostgreSQL) 15.0'");
        fakeTool(
                "pg_dump",
                "head -c 200000 /dev/zero | tr '\\0' x >&2; echo 'pg_dump: error: the real reason' >&2; exit 1");
        PgTools tools = PgTools.locate(Optional.of(dir));
        assertThatThrownBy(() -> tools.dumpSchema(
                        new PgConnectionInfo("jdbc:postgresql://h/d", "u", null),
                        "1-1",
                        new PgTools.DumpFilter(List.of(), List.of(), List.of()),
                        Duration.ofSeconds(1),
                        new ByteArrayOutputStream()))
                .isInstanceOf(PgEngineException.class)
                .hasMessageContaining("exit 1")
                .hasMessageEndingWith("pg_dump: error: the real reason")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(PgTools.STDERR_LIMIT + 200));
    }

    @Test
    void listReadsAnArchiveFromAStream() throws Exception {
        PgTools tools = PgTools.locate(Optional.empty());
        assertThatThrownBy(() -> tools.list(new ByteArrayInputStream("not an archive".getBytes())))
                .isInstanceOf(PgEngineException.class)
                .hasMessageContaining("pg_restore --list failed");
    }

    private void fakeTool(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    }
}
