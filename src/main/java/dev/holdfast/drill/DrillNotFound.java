package dev.holdfast.drill;

import dev.holdfast.domain.NotFoundException;
import java.util.UUID;

/** No drill has this id. */
public class DrillNotFound extends NotFoundException {
    public DrillNotFound(UUID id) {
        super("Drill", id);
    }
}
