package dev.holdfast.archive;

/** The archive being written would exceed the configured maximum size ({@code holdfast.archive.max-size}). */
public class ArchiveTooLargeException extends ArchiveException {
    private final long maxSize;

    public ArchiveTooLargeException(long maxSize, long reached, String entry) {
        super("archive exceeds the maximum size of " + maxSize + " bytes (holdfast.archive.max-size): " + reached
                + " bytes reached" + (entry == null ? "" : " while adding entry '" + entry + "'"));
        this.maxSize = maxSize;
    }

    /** The configured limit in bytes. */
    public long maxSize() {
        return maxSize;
    }
}
