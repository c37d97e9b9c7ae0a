package dev.holdfast.media;

/** An archive's media path that could write outside the restore target; the whole restore is refused. */
public class UnsafeMediaPathException extends MediaRestoreException {
    private final String path;

    public UnsafeMediaPathException(String path, String reason) {
        super("unsafe media path '" + printable(path) + "': " + reason);
        this.path = path;
    }

    /** The offending path as found in the archive. */
    public String path() {
        return path;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : String.valueOf(s).toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }
}
