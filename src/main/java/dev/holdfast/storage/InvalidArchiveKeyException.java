package dev.holdfast.storage;

/** A storage key that is not a plain, safe file name. */
public class InvalidArchiveKeyException extends IllegalArgumentException {
    public InvalidArchiveKeyException(String key, String reason) {
        super("invalid archive key '" + key + "': " + reason);
    }
}
