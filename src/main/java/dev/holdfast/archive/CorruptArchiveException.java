package dev.holdfast.archive;

/** The archive's bytes are not what the writer produced: broken tar structure, bad checksum or bad manifest. */
public class CorruptArchiveException extends ArchiveException {
    public CorruptArchiveException(String message) {
        super(message);
    }

    public CorruptArchiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
