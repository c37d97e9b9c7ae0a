package dev.holdfast.restore;

import dev.holdfast.domain.ConflictException;

/**
 * A restore or rollback cannot be done in the current state: a target no pre-restore backup can cover, a target
 * that cannot be checked, or a rollback of a restore that has nothing to roll back to.
 */
public class RestoreRefused extends ConflictException {
    public RestoreRefused(String message) {
        super(message);
    }
}
