package dev.holdfast.restore;

import dev.holdfast.domain.InvalidInputException;

/** A restore request asks for what the backup does not hold, or for a target it may not write. */
public class InvalidRestoreRequest extends InvalidInputException {
    public InvalidRestoreRequest(String field, String message) {
        super(field, message);
    }
}
