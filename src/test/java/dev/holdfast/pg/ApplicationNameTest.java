package dev.holdfast.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A connection named for a job is found by that name in pg_stat_activity, on the database it was moved to as well,
 * and pg_dump gets the same name through PGAPPNAME; a name already in the URL is replaced, other parameters kept.
 */
class ApplicationNameTest {

    @Test
    void theNameReplacesOneInTheUrlAndKeepsTheOtherParameters() {
        PgConnectionInfo info =
                new PgConnectionInfo("jdbc:postgresql://db:5432/app?ApplicationName=mine&sslmode=require", "u", "p");
        PgConnectionInfo named = info.withApplicationName("holdfast-job-1");
        assertThat(named.jdbcUrl())
                .isEqualTo("jdbc:postgresql://db:5432/app?sslmode=require&ApplicationName=holdfast-job-1");
        assertThat(new PgConnectionInfo("jdbc:postgresql://db/app", null, null)
                        .withApplicationName("a b")
                        .jdbcUrl())
                .isEqualTo("jdbc:postgresql://db/app?ApplicationName=a+b");
        LibpqParams p = LibpqParams.fromJdbcUrl(named.withDatabase("postgres").jdbcUrl());
        assertThat(p.dbname()).isEqualTo("postgres");
        assertThat(p.environment()).containsEntry("PGAPPNAME", "holdfast-job-1").containsEntry("PGSSLMODE", "require");
    }

    @Test
    void sessionsOpenedWithTheNameCarryIt() throws Exception {
        PgConnectionInfo info = new PgConnectionInfo(PgTestDatabase.SERVER + "postgres", PgTestDatabase.USER, null)
                .withApplicationName("holdfast-job-test");
        try (Connection c = info.open(ConnectionFactory.driverManager());
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("holdfast-job-test");
        }
    }
}
