package dev.holdfast.schedule;

import dev.holdfast.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A second, independent instance's schedule firing for tests: the production {@link ScheduleFiring} on its own
 * connections (no pool or transaction manager shared with the app). Its launcher records the backup row the way
 * a queued run appears in the catalog, on the claiming connection, in the claiming transaction.
 */
final class SecondScheduler {
    final String id;
    final DataSource dataSource;
    final ScheduleFiring firing;

    SecondScheduler(String id, Duration grace, int batchSize) {
        this.id = id;
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(TestDatabase.url(TestDatabase.CATALOG_DB));
        ds.setUser(TestDatabase.USER);
        this.dataSource = ds;
        this.firing = new ScheduleFiring(grace, batchSize);
    }

    /** One tick: claims batch after batch in transactions of their own until none is full. */
    List<ScheduleFiring.Result> fireDue(Instant now) throws Exception {
        List<ScheduleFiring.Result> all = new ArrayList<>();
        List<ScheduleFiring.Result> batch;
        do {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    batch = firing.fireDue(c, now, this::launch);
                    c.commit();
                } catch (Exception e) {
                    c.rollback();
                    throw e;
                }
            }
            all.addAll(batch);
        } while (batch.size() == firing.batchSize());
        return all;
    }

    private ScheduleFiring.Launched launch(Connection c, ScheduleFiring.Due due) throws Exception {
        UUID backup = UUID.randomUUID();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO holdfast.backup (id, name, backup_type, status, "
                + "schedule_id, trigger, created_by) VALUES (?, ?, 'media', 'QUEUED', ?, 'schedule', ?)")) {
            ps.setObject(1, backup);
            ps.setString(2, due.name());
            ps.setObject(3, due.id());
            ps.setString(4, id);
            ps.executeUpdate();
        }
        return new ScheduleFiring.Launched(backup, null);
    }
}
