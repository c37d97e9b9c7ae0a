package dev.holdfast.domain;

import java.util.List;

/** The request conflicts with the current state of what it is about; subclasses say which state. */
public class ConflictException extends DomainException {
    public ConflictException(String message) {
        super(Kind.CONFLICT, message, List.of());
    }
}
