package dev.holdfast.archive;

import java.io.IOException;

/** Base of the archive format's own failures, an {@link IOException} so streaming code propagates it naturally. */
public class ArchiveException extends IOException {
    public ArchiveException(String message) {
        super(message);
    }

    public ArchiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
