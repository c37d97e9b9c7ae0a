package dev.holdfast.backup;

import dev.holdfast.domain.ConflictException;

/** The backup cannot be deleted now: its own job still runs, a restore uses it, or it is protected. */
public class BackupInUse extends ConflictException {
    public BackupInUse(String message) {
        super(message);
    }
}
