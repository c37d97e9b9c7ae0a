package dev.holdfast.crypto;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Decrypts an age file read once from start to end (a verification pass, a download checked on the way): the
 * header and its MAC are checked on construction, each chunk's tag as it is reached, and the end of the input
 * must come right after a chunk flagged last, so a file cut at any byte never ends cleanly.
 */
public final class AgeDecryptingInputStream extends InputStream {
    private final InputStream in;
    private final AgePayload payload;
    private final byte[] sealed = new byte[AgePayload.SEALED_CHUNK + 1];
    private final byte[] plain = new byte[AgePayload.CHUNK];
    private int carry; // bytes of the next chunk already read while looking for the end
    private int pos;
    private int limit;
    private long index;
    private boolean ended;

    /** Reads and authenticates the header of {@code stored}; {@link AgeException} when it fails. */
    public AgeDecryptingInputStream(InputStream stored, AgeKeys keys) throws IOException {
        this.in = new BufferedInputStream(stored, 8192);
        AgeHeader header = AgeHeader.read(in);
        byte[] fileKey = keys.fileKey(header.stanzas);
        header.checkMac(fileKey);
        byte[] nonce = in.readNBytes(AgePayload.NONCE);
        if (nonce.length != AgePayload.NONCE) {
            throw new AgeException("encrypted archive truncated: the payload nonce is missing");
        }
        payload = new AgePayload(fileKey, nonce);
        Arrays.fill(fileKey, (byte) 0);
    }

    private boolean fill() throws IOException {
        while (pos == limit) {
            if (ended) {
                return false;
            }
            // Read one byte past a full chunk: only the input's end tells whether this chunk is the last.
            int n = carry + in.readNBytes(sealed, carry, sealed.length - carry);
            boolean last = n <= AgePayload.SEALED_CHUNK;
            int len = last ? n : AgePayload.SEALED_CHUNK;
            if (index > 0 && last && len == AgePayload.TAG) {
                throw new AgeException("encrypted archive: empty last chunk " + index + " (not allowed after data)");
            }
            if (len < AgePayload.TAG) {
                throw new AgeException("encrypted archive truncated: chunk " + index + " has " + len + " bytes");
            }
            limit = payload.open(index++, last, sealed, len, plain);
            pos = 0;
            if (last) {
                ended = true;
                carry = 0;
            } else {
                sealed[0] = sealed[AgePayload.SEALED_CHUNK];
                carry = 1;
            }
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? plain[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(plain, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
