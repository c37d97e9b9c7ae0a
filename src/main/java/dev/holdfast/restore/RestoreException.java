package dev.holdfast.restore;

/** A restore that was refused or failed; the target is as it was before, and the message says why. */
public class RestoreException extends RuntimeException {

    public RestoreException(String message) {
        super(message);
    }

    public RestoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
