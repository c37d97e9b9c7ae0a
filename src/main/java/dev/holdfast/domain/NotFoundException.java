package dev.holdfast.domain;

import java.util.List;

/** Something a request names does not exist; subclasses name what (see {@code BackupNotFound}). */
public class NotFoundException extends DomainException {
    public NotFoundException(String what, Object id) {
        super(Kind.NOT_FOUND, what + " " + id + " does not exist", List.of());
    }
}
