package dev.holdfast.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.backup.ScheduleNames;
import dev.holdfast.notify.ScheduleSettingsLookup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/** Answers what lower packages (backup, notify) ask of a schedule, so that they need not import schedule/. */
@ApplicationScoped
public class ScheduleLookups implements ScheduleNames, ScheduleSettingsLookup {
    @Override
    public String nameOf(UUID scheduleId) {
        Schedule s = Schedule.findById(scheduleId);
        return s == null ? null : s.name;
    }

    @Override
    public JsonNode notificationsOf(UUID scheduleId) {
        Schedule s = Schedule.findById(scheduleId);
        return s == null ? null : s.notifications;
    }
}
