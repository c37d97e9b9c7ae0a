package dev.holdfast.backup;

import java.util.UUID;

/**
 * The one thing backup/ needs from the schedules (the name a finished backup's event carries), owned here so that
 * backup does not depend on schedule/, which depends on backup; schedule/ implements it.
 */
public interface ScheduleNames {
    /**
     * The schedule's name, read in the caller's transaction.
     *
     * @return null when the schedule no longer exists
     */
    String nameOf(UUID scheduleId);

    /**
     * The id of the schedule called {@code name}, read in the caller's transaction (a catalog import links a
     * backup to the schedule of that name when its original schedule is gone).
     *
     * @return null when there is none
     */
    UUID idOf(String name);
}
