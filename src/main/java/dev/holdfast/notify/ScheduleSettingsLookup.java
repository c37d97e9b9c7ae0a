package dev.holdfast.notify;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * What notify needs from the schedules, owned here so that notify does not depend on schedule/ (schedule depends
 * on notify for {@link NotificationSettings}); schedule/ implements it.
 */
public interface ScheduleSettingsLookup {
    /**
     * The schedule's own notification settings as stored (JSON), in the caller's transaction.
     *
     * @return null when the schedule does not exist or sets none
     */
    JsonNode notificationsOf(UUID scheduleId);
}
