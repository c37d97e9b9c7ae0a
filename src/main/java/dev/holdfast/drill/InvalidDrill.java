package dev.holdfast.drill;

import dev.holdfast.domain.InvalidInputException;

/** A drill request names no configured source or no usable backup. */
public class InvalidDrill extends InvalidInputException {
    public InvalidDrill(String field, String message) {
        super(field, message);
    }
}
