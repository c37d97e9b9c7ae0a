package dev.holdfast.job;

import dev.holdfast.domain.NotFoundException;
import java.util.UUID;

/** No job has this id. */
public class JobNotFound extends NotFoundException {
    public JobNotFound(UUID id) {
        super("Job", id);
    }
}
