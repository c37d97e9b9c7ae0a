package dev.holdfast.retention;

import dev.holdfast.domain.InvalidInputException;
import dev.holdfast.domain.Violation;
import java.util.List;

/** A retention policy has counts or ages out of range. */
public class InvalidPolicy extends InvalidInputException {
    public InvalidPolicy(List<Violation> violations) {
        super(violations);
    }
}
