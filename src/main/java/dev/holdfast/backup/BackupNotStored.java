package dev.holdfast.backup;

import dev.holdfast.domain.ConflictException;

/** The backup has no archive (it is not SUCCEEDED), so it cannot be verified, restored or downloaded. */
public class BackupNotStored extends ConflictException {
    public BackupNotStored(String message) {
        super(message);
    }
}
