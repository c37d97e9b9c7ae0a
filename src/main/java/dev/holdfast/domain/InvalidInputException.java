package dev.holdfast.domain;

import java.util.List;

/** What a request asks for is invalid, field by field; subclasses say which request. */
public class InvalidInputException extends DomainException {
    public InvalidInputException(String message, List<Violation> violations) {
        super(Kind.INVALID, message, violations);
    }

    /** One bad field, with the detail "field: message". */
    public InvalidInputException(String field, String message) {
        this(field + ": " + message, List.of(new Violation(field, message)));
    }

    /** Several bad fields, with the first one as the detail (as a single-field problem reads). */
    public InvalidInputException(List<Violation> violations) {
        this(violations.get(0).field() + ": " + violations.get(0).message(), violations);
    }
}
