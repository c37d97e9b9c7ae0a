package dev.holdfast.api;

import dev.holdfast.domain.Violation;
import java.util.List;

/**
 * A request-shape error found by a resource (a bad query parameter, a missing body field), with its HTTP status;
 * services throw {@link dev.holdfast.domain.DomainException}s instead. {@link ProblemMapper} maps both.
 */
public abstract class ApiException extends RuntimeException {
    private final List<Violation> violations;

    protected ApiException(String message) {
        this(message, List.of());
    }

    protected ApiException(String message, List<Violation> violations) {
        super(message);
        this.violations = List.copyOf(violations);
    }

    /** HTTP status of this problem. */
    public abstract int status();

    /** Short, stable title of this problem type. */
    public abstract String title();

    /** Field-level details, empty when the problem is not about input fields. */
    public List<Violation> violations() {
        return violations;
    }

    /** The resource does not exist (404). */
    public static class NotFound extends ApiException {
        public NotFound(String what, Object id) {
            super(what + " " + id + " does not exist");
        }

        @Override
        public int status() {
            return 404;
        }

        @Override
        public String title() {
            return "Not found";
        }
    }

    /** The request conflicts with the resource's current state (409). */
    public static class Conflict extends ApiException {
        public Conflict(String message) {
            super(message);
        }

        @Override
        public int status() {
            return 409;
        }

        @Override
        public String title() {
            return "Conflict";
        }
    }

    /** The request is well-formed but its content is invalid (400). */
    /** 422: the request is well-formed but cannot be processed as sent (an Idempotency-Key reused for another). */
    public static class Unprocessable extends ApiException {
        public Unprocessable(String message) {
            super(message);
        }

        @Override
        public int status() {
            return 422;
        }

        @Override
        public String title() {
            return "Unprocessable request";
        }
    }

    public static class BadRequest extends ApiException {
        public BadRequest(String message) {
            super(message);
        }

        public BadRequest(String message, List<Violation> violations) {
            super(message, violations);
        }

        public static BadRequest field(String field, String message) {
            return new BadRequest(field + ": " + message, List.of(new Violation(field, message)));
        }

        @Override
        public int status() {
            return 400;
        }

        @Override
        public String title() {
            return "Invalid request";
        }
    }
}
