package dev.holdfast.retention;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/**
 * The schedules' retention settings as retention reads them, owned here so that retention neither queries
 * schedule's table nor depends on schedule/ (which depends on retention for {@link RetentionPolicy}); schedule/
 * implements it. Both run on the caller's connection, inside its transaction.
 */
public interface SchedulePolicies {
    /** A schedule's stored policy (JSON text, null or "null" for none) and its time zone as stored. */
    record Stored(UUID scheduleId, String retentionJson, String timeZone) {}

    /** Every schedule. */
    List<Stored> all(Connection c) throws SQLException;

    /** Schedules with a policy of their own (valid or not), by name. */
    List<UUID> withOwnPolicy(Connection c) throws SQLException;
}
