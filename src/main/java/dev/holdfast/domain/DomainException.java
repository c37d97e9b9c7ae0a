package dev.holdfast.domain;

import java.util.List;

/**
 * Base of the exceptions services throw when a request cannot be done as asked. It knows only its {@link Kind}, never
 * an HTTP status: {@code api/ProblemMapper} is the one place that turns a kind into a response.
 */
public abstract class DomainException extends RuntimeException {
    /** What went wrong, in the terms of the domain; each kind becomes one problem type. */
    public enum Kind {
        /** The thing asked for does not exist. */
        NOT_FOUND,
        /** The request conflicts with the current state of what it is about. */
        CONFLICT,
        /** The request is well-formed but what it asks for is invalid. */
        INVALID
    }

    private final Kind kind;
    private final List<Violation> violations;

    protected DomainException(Kind kind, String message, List<Violation> violations) {
        super(message);
        this.kind = kind;
        this.violations = List.copyOf(violations);
    }

    /** Which kind of problem this is. */
    public Kind kind() {
        return kind;
    }

    /** Field-level details, empty when the problem is not about input fields. */
    public List<Violation> violations() {
        return violations;
    }
}
