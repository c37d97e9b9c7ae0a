package dev.holdfast.schedule;

import dev.holdfast.domain.NotFoundException;
import java.util.UUID;

/** No schedule has this id. */
public class ScheduleNotFound extends NotFoundException {
    public ScheduleNotFound(UUID id) {
        super("Schedule", id);
    }
}
