package dev.holdfast.restore;

import dev.holdfast.domain.NotFoundException;
import java.util.UUID;

/** No restore has this id. */
public class RestoreNotFound extends NotFoundException {
    public RestoreNotFound(UUID id) {
        super("Restore", id);
    }
}
