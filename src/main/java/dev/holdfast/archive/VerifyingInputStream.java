package dev.holdfast.archive;

import java.io.IOException;
import java.io.InputStream;

/**
 * An entry read back through its codec: checks the stored and decoded sizes and SHA-256s against the manifest
 * once the decompressed stream ends, and reports a stream that does not decode as a corrupt archive.
 */
final class VerifyingInputStream extends DecodingInputStream {
    private final Digests.DigestingInputStream stored;
    private final Digests.DigestingInputStream raw;
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
        super(raw, info);
        this.raw = raw;
        this.stored = stored;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            check();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        return raw.skip(n);
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
