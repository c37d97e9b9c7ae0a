package dev.holdfast.media;

import java.io.IOException;

/** A media restore refused or failed before anything was swapped in; the target is as it was. */
public class MediaRestoreException extends IOException {
    public MediaRestoreException(String message) {
        super(message);
    }

    public MediaRestoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
