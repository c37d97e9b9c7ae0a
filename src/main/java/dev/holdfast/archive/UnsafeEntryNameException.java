package dev.holdfast.archive;

/** An entry name that could escape an extraction directory or is not reversible, refused on write and read. */
public class UnsafeEntryNameException extends ArchiveException {
    private final String entryName;

    public UnsafeEntryNameException(String entryName, String reason) {
        super("unsafe archive entry name '" + printable(entryName) + "': " + reason);
        this.entryName = entryName;
    }

    /** The offending name as found. */
    public String entryName() {
        return entryName;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
