package dev.holdfast.job;

import dev.holdfast.domain.ConflictException;
import java.util.UUID;

/** The job cannot be cancelled: it has already ended. */
public class JobAlreadyEnded extends ConflictException {
    public JobAlreadyEnded(UUID id, Object state) {
        super("Job " + id + " already ended " + state);
    }
}
