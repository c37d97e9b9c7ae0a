package dev.holdfast.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.ScheduleNames;
import dev.holdfast.notify.ScheduleSettingsLookup;
import dev.holdfast.retention.SchedulePolicies;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Answers what lower packages (backup, notify, retention) ask of the schedules, through interfaces they own, so that
 * they neither import schedule/ nor query its table.
 */
@ApplicationScoped
public class ScheduleLookups implements ScheduleNames, ScheduleSettingsLookup, SchedulePolicies {
    @Override
    public String nameOf(UUID scheduleId) {
        Schedule s = Schedule.findById(scheduleId);
        return s == null ? null : s.name;
    }

    @Override
    public UUID idOf(String name) {
        Schedule s = Schedule.find("name", name).firstResult();
        return s == null ? null : s.id;
    }

    @Override
    public JsonNode notificationsOf(UUID scheduleId) {
        Schedule s = Schedule.findById(scheduleId);
        return s == null ? null : s.notifications;
    }

    @Override
    public List<Stored> all(Connection c) throws SQLException {
        List<Stored> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, retention::text, time_zone FROM holdfast.schedule");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Stored(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3)));
            }
        }
        return out;
    }

    @Override
    public List<UUID> withOwnPolicy(Connection c) throws SQLException {
        List<UUID> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM holdfast.schedule WHERE retention IS NOT NULL "
                        + "AND jsonb_typeof(retention) <> 'null' ORDER BY name");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getObject(1, UUID.class));
            }
        }
        return out;
    }
}
