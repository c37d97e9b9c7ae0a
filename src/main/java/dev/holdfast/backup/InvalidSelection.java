package dev.holdfast.backup;

import dev.holdfast.domain.InvalidInputException;
import dev.holdfast.domain.Violation;
import java.util.List;

/** A backup request selects what the configured sources do not have, or combines options that exclude each other. */
public class InvalidSelection extends InvalidInputException {
    public InvalidSelection(String field, String message) {
        super(field, message);
    }

    public InvalidSelection(List<Violation> violations) {
        super(violations);
    }
}
