package dev.holdfast.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An entry's bytes read back through its codec, reporting a stream that does not decode as a {@link
 * CorruptArchiveException} naming the entry (a damaged archive, not an I/O failure of the reader).
 */
class DecodingInputStream extends FilterInputStream {
    final EntryInfo info;

    DecodingInputStream(InputStream decoded, EntryInfo info) {
        super(decoded);
        this.info = info;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return in.read(b, off, len);
        } catch (CorruptArchiveException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptArchiveException(
                    "entry '" + info.name() + "' does not decode as "
                            + info.codec().jsonName() + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
