package dev.holdfast.crypto;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Random access to the plaintext of a stored age file: a range of plaintext is served by reading and
 * authenticating only the sealed chunks that cover it. Opening checks the header MAC and authenticates the last
 * chunk (its position follows from the file size), so truncation at a chunk boundary, a missing last chunk or
 * bytes appended are refused before any plaintext is returned; the nonce counter binds every chunk to its place.
 */
public final class AgeSeekableReader {
    /** The stored (encrypted) bytes, read by range. */
    public interface Ciphertext {
        /** Total stored bytes. */
        long size() throws IOException;

        /** {@code length} stored bytes from {@code offset}. */
        InputStream open(long offset, long length) throws IOException;
    }

    private final Ciphertext stored;
    private final byte[] fileKey;
    private final byte[] nonce;
    private final long payloadStart;
    private final long sealedBytes;
    private final long chunks;
    private final long plaintextSize;

    private AgeSeekableReader(Ciphertext stored, byte[] fileKey, byte[] nonce, long payloadStart, long sealedBytes) {
        this.stored = stored;
        this.fileKey = fileKey;
        this.nonce = nonce;
        this.payloadStart = payloadStart;
        this.sealedBytes = sealedBytes;
        this.chunks = (sealedBytes + AgePayload.SEALED_CHUNK - 1) / AgePayload.SEALED_CHUNK;
        this.plaintextSize = sealedBytes - chunks * AgePayload.TAG;
    }

    /** Reads the header, recovers the file key, checks the MAC, the layout and the last chunk. */
    public static AgeSeekableReader open(Ciphertext stored, AgeKeys keys) throws IOException {
        long size = stored.size();
        AgeHeader header;
        byte[] fileKey;
        byte[] nonce;
        try (InputStream in = new BufferedInputStream(
                stored.open(0, Math.min(size, AgeHeader.MAX_HEADER + AgePayload.NONCE)), 8192)) {
            header = AgeHeader.read(in);
            fileKey = keys.fileKey(header.stanzas);
            header.checkMac(fileKey);
            nonce = in.readNBytes(AgePayload.NONCE);
        }
        if (nonce.length != AgePayload.NONCE) {
            throw new AgeException("encrypted archive truncated: the payload nonce is missing");
        }
        long payloadStart = header.length + AgePayload.NONCE;
        long sealedBytes = size - payloadStart;
        if (sealedBytes < AgePayload.TAG) {
            throw new AgeException("encrypted archive truncated: no complete payload chunk");
        }
        long chunks = (sealedBytes + AgePayload.SEALED_CHUNK - 1) / AgePayload.SEALED_CHUNK;
        long lastSealed = sealedBytes - (chunks - 1) * AgePayload.SEALED_CHUNK;
        if (lastSealed < AgePayload.TAG) {
            throw new AgeException("encrypted archive truncated: the last chunk has " + lastSealed + " bytes");
        }
        if (chunks > 1 && lastSealed == AgePayload.TAG) {
            throw new AgeException("encrypted archive: empty last chunk " + (chunks - 1) + " (not allowed after data)");
        }
        AgeSeekableReader reader = new AgeSeekableReader(stored, fileKey, nonce, payloadStart, sealedBytes);
        try (RangeStream last = reader.new RangeStream(0, 0)) {
            last.load(chunks - 1, chunks - 1);
        }
        return reader;
    }

    /** Plaintext bytes. */
    public long size() {
        return plaintextSize;
    }

    /**
     * {@code length} plaintext bytes from {@code offset}; reads only the chunks covering them, and its
     * {@code skip} jumps over whole chunks without reading them.
     */
    public InputStream open(long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > plaintextSize) {
            throw new IOException(
                    "range " + offset + "+" + length + " outside the plaintext of " + plaintextSize + " bytes");
        }
        return new RangeStream(offset, offset + length);
    }

    private final class RangeStream extends InputStream {
        private final AgePayload payload = new AgePayload(fileKey, nonce);
        private final byte[] sealed = new byte[AgePayload.SEALED_CHUNK];
        private final byte[] plain = new byte[AgePayload.CHUNK];
        private final long end;
        private long position; // plaintext offset of the next byte returned
        private long chunk = -1; // index of the chunk in plain
        private int chunkLength;
        private InputStream in; // positioned at the start of chunk + 1
        private long inNextChunk = -1;

        RangeStream(long start, long end) {
            this.position = start;
            this.end = end;
        }

        private boolean fill() throws IOException {
            if (position >= end) {
                return false;
            }
            long want = position / AgePayload.CHUNK;
            if (want != chunk) {
                load(want, (end - 1) / AgePayload.CHUNK);
            }
            return true;
        }

        /** Decrypts chunk {@code index} into {@code plain}, reading on sequentially up to chunk {@code lastNeeded}. */
        void load(long index, long lastNeeded) throws IOException {
            if (in == null || inNextChunk != index) {
                if (in != null) {
                    in.close();
                }
                long from = AgePayload.sealedOffset(index);
                long to = Math.min(sealedBytes, AgePayload.sealedOffset(lastNeeded + 1));
                in = stored.open(payloadStart + from, to - from);
                inNextChunk = index;
            }
            boolean last = index == chunks - 1;
            int len = (int) (last ? sealedBytes - AgePayload.sealedOffset(index) : AgePayload.SEALED_CHUNK);
            int n = in.readNBytes(sealed, 0, len);
            if (n != len) {
                throw new AgeException(
                        "encrypted archive truncated: chunk " + index + " has " + n + " of " + len + " bytes");
            }
            chunkLength = payload.open(index, last, sealed, len, plain);
            chunk = index;
            inNextChunk = index + 1;
        }

        @Override
        public int read() throws IOException {
            if (!fill()) {
                return -1;
            }
            return plain[(int) (position++ % AgePayload.CHUNK)] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int at = (int) (position % AgePayload.CHUNK);
            int n = (int) Math.min(Math.min(len, chunkLength - at), end - position);
            System.arraycopy(plain, at, b, off, n);
            position += n;
            return n;
        }

        @Override
        public long skip(long n) {
            long step = Math.max(0, Math.min(n, end - position));
            position += step;
            return step;
        }

        @Override
        public int available() {
            if (chunk < 0 || position / AgePayload.CHUNK != chunk) {
                return 0;
            }
            return (int) Math.min(chunkLength - position % AgePayload.CHUNK, end - position);
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
                in = null;
            }
            Arrays.fill(plain, (byte) 0);
        }
    }
}
