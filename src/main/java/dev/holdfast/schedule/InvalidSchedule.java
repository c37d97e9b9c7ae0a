package dev.holdfast.schedule;

import dev.holdfast.domain.InvalidInputException;
import dev.holdfast.domain.Violation;
import java.util.List;

/** A schedule request (cron, zone, thresholds or its backup) is invalid, every bad field listed. */
public class InvalidSchedule extends InvalidInputException {
    public InvalidSchedule(String message, List<Violation> violations) {
        super(message, violations);
    }
}
