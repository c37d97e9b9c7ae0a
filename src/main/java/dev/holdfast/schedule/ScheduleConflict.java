package dev.holdfast.schedule;

import dev.holdfast.domain.ConflictException;

/** A schedule cannot be saved or run now: its name is taken, or its previous backup has not ended. */
public class ScheduleConflict extends ConflictException {
    public ScheduleConflict(String message) {
        super(message);
    }
}
