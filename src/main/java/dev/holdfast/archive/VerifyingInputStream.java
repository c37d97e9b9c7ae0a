package dev.holdfast.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An entry read back through its codec: checks the stored and decoded sizes and SHA-256s against the manifest
 * once the decompressed stream ends, and reports a stream that does not decode as a corrupt archive.
 */
final class VerifyingInputStream extends FilterInputStream {
    private final Digests.DigestingInputStream stored;
    private final Digests.DigestingInputStream raw;
    private final EntryInfo info;
    private boolean checked;

    VerifyingInputStream(InputStream decoded, Digests.DigestingInputStream stored, EntryInfo info) {
        this(new Digests.DigestingInputStream(decoded), stored, info);
    }

    /** An entry stored as is ({@link Codec#NONE}): one digest serves as both the stored and the raw one. */
    static VerifyingInputStream storedAsIs(Digests.DigestingInputStream stored, EntryInfo info) {
        return new VerifyingInputStream(stored, stored, info);
    }

    private VerifyingInputStream(
            Digests.DigestingInputStream raw, Digests.DigestingInputStream stored, EntryInfo info) {
        super(raw);
        this.raw = raw;
        this.stored = stored;
        this.info = info;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = raw.read(b, off, len);
        } catch (CorruptArchiveException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptArchiveException(
                    "entry '" + info.name() + "' does not decode as "
                            + info.codec().jsonName() + ": " + e.getMessage(),
                    e);
        }
        if (n < 0) {
            check();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        return raw.skip(n);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void check() throws IOException {
        if (checked) {
            return;
        }
        checked = true;
        // Bytes after the codec's end would otherwise escape the stored digest.
        Digests.drain(stored);
        String storedSha = Digests.hex(stored.digest.digest());
        // An entry stored as is was hashed once: its raw bytes are its stored bytes.
        String rawSha = raw == stored ? storedSha : Digests.hex(raw.digest.digest());
        if (stored.count != info.storedSize() || !storedSha.equals(info.storedSha256())) {
            throw new CorruptArchiveException("entry '" + info.name() + "' stored bytes have SHA-256 " + storedSha
                    + ", manifest says " + info.storedSha256());
        }
        if (raw.count != info.rawSize() || !rawSha.equals(info.sha256())) {
            throw new CorruptArchiveException("entry '" + info.name() + "' decompressed to " + raw.count
                    + " bytes with SHA-256 " + rawSha + ", manifest says " + info.rawSize() + " bytes, "
                    + info.sha256());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            // Frees the decoder's native memory and closes the stored stream beneath it.
            raw.close();
        } finally {
            stored.close();
        }
    }
}
