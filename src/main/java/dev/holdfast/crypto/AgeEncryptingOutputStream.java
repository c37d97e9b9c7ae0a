package dev.holdfast.crypto;

import com.exceptionfactory.jagged.RecipientStanza;
import java.io.IOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Encrypts everything written to it into one age file for N recipients, streaming: it holds one 64 KiB chunk,
 * whatever the size. {@link #close()} writes the last chunk and flushes the target without closing it (the caller
 * owns it, e.g. a storage write that is committed afterwards); without {@code close()} the file is incomplete and
 * every reader refuses it.
 */
public final class AgeEncryptingOutputStream extends OutputStream {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final OutputStream out;
    private final byte[] fileKey = new byte[16];
    private final AgePayload payload;
    private final byte[] chunk = new byte[AgePayload.CHUNK];
    private final byte[] sealed = new byte[AgePayload.SEALED_CHUNK];
    private int filled;
    private long index;
    private boolean closed;

    public AgeEncryptingOutputStream(OutputStream out, List<AgeRecipient> recipients) throws IOException {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("an age file needs at least one recipient");
        }
        this.out = out;
        RANDOM.nextBytes(fileKey);
        List<RecipientStanza> stanzas = new ArrayList<>();
        for (AgeRecipient r : recipients) {
            stanzas.addAll(r.wrap(fileKey));
        }
        AgeHeader.write(out, stanzas, fileKey);
        byte[] nonce = new byte[AgePayload.NONCE];
        RANDOM.nextBytes(nonce);
        out.write(nonce);
        payload = new AgePayload(fileKey, nonce);
    }

    /**
     * This file's key, so that the writer can check what it wrote before it is published without holding any
     * identity. Keep it no longer than that check.
     */
    public AgeKeys ownKey() {
        return AgeKeys.ofFileKey(fileKey);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("the age stream is closed");
        }
        while (len > 0) {
            if (filled == chunk.length) {
                // A full chunk is sealed only once more data arrives: the last chunk must carry the last flag,
                // and it may be full but never empty (unless the whole payload is).
                emit(false);
            }
            int n = Math.min(len, chunk.length - filled);
            System.arraycopy(b, off, chunk, filled, n);
            filled += n;
            off += n;
            len -= n;
        }
    }

    private void emit(boolean last) throws IOException {
        int n = payload.seal(index++, last, chunk, filled, sealed);
        out.write(sealed, 0, n);
        filled = 0;
    }

    /** Flushes the target; the chunk being filled stays here until it is full or the stream is closed. */
    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        emit(true);
        out.flush();
    }
}
