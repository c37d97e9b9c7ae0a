package dev.holdfast.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes held in memory as a list of chunks of at most {@value #CHUNK} bytes, written once and then read back.
 *
 * <p>Why not a {@link java.io.ByteArrayOutputStream}: that keeps one array, copies it whole each time it grows, and
 * from half a G1 region up (1 MB with the default region size of a 4-8 GB heap) allocates it as a humongous object
 * straight in the old generation, where each one may start a concurrent marking cycle. A backup of 20,000 small
 * files made about 170 such arrays (its pack spools), and an incremental one about fifteen (its manifest and file
 * lists); with chunks it makes none, and nothing is copied to grow.
 */
public final class ChunkedBytes extends OutputStream {
    /** The largest chunk: far below any G1 humongous threshold (half a region, and regions are 1 MB at least). */
    static final int CHUNK = 64 * 1024;

    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int pos;
    private long size;
    private final int first;

    /** An empty buffer whose first chunk holds {@code expected} bytes (so a small entry takes a small array). */
    public ChunkedBytes(long expected) {
        this.first = (int) Math.max(256, Math.min(expected, CHUNK));
    }

    public ChunkedBytes() {
        this(CHUNK);
    }

    @Override
    public void write(int b) {
        if (current == null || pos == current.length) {
            next();
        }
        current[pos++] = (byte) b;
        size++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        size += len;
        while (len > 0) {
            if (current == null || pos == current.length) {
                next();
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(b, off, current, pos, n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    private void next() {
        current = new byte[chunks.isEmpty() ? first : CHUNK];
        chunks.add(current);
        pos = 0;
    }

    /** Bytes written so far. */
    public long size() {
        return size;
    }

    /** Writes every byte held to {@code out}, chunk by chunk. */
    public void writeTo(OutputStream out) throws IOException {
        forEachChunk((chunk, length) -> out.write(chunk, 0, length));
    }

    /** Writes the bytes from offset {@code from} up to {@code to} (exclusive) to {@code out}. */
    public void writeTo(OutputStream out, long from, long to) throws IOException {
        if (from < 0 || to > size || from > to) {
            throw new IndexOutOfBoundsException("range " + from + "-" + to + " of " + size + " bytes");
        }
        long at = 0;
        int last = chunks.size() - 1;
        for (int i = 0; i <= last && at < to; i++) {
            byte[] c = chunks.get(i);
            int n = i == last ? pos : c.length;
            long start = Math.max(from, at);
            long end = Math.min(to, at + n);
            if (start < end) {
                out.write(c, (int) (start - at), (int) (end - start));
            }
            at += n;
        }
    }

    /** Receives the chunks of a {@link ChunkedBytes} in order. */
    @FunctionalInterface
    public interface ChunkSink {
        /** The first {@code length} bytes of {@code chunk} are the next ones (not a copy: never keep the array). */
        void accept(byte[] chunk, int length) throws IOException;
    }

    /** Hands every chunk to {@code sink} in order, without copying. */
    public void forEachChunk(ChunkSink sink) throws IOException {
        int last = chunks.size() - 1;
        for (int i = 0; i <= last; i++) {
            byte[] c = chunks.get(i);
            sink.accept(c, i == last ? pos : c.length);
        }
    }

    /** The bytes as one array: for callers that need one, and only when they are few. */
    public byte[] toByteArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("too large for one array: " + size + " bytes");
        }
        byte[] all = new byte[(int) size];
        int[] at = {0};
        try {
            forEachChunk((chunk, length) -> {
                System.arraycopy(chunk, 0, all, at[0], length);
                at[0] += length;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the copy above throws none
        }
        return all;
    }

    /** A stream over the bytes written so far (later writes are not seen). */
    public InputStream reader() {
        int count = chunks.size();
        int lastLength = pos;
        return new InputStream() {
            private int index;
            private int at;

            private int available(int i) {
                return i == count - 1 ? lastLength : chunks.get(i).length;
            }

            @Override
            public int read() {
                while (index < count && at == available(index)) {
                    index++;
                    at = 0;
                }
                return index < count ? chunks.get(index)[at++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) {
                    return 0;
                }
                int total = 0;
                while (len > 0 && index < count) {
                    int n = Math.min(len, available(index) - at);
                    if (n == 0) {
                        index++;
                        at = 0;
                        continue;
                    }
                    System.arraycopy(chunks.get(index), at, b, off, n);
                    at += n;
                    off += n;
                    len -= n;
                    total += n;
                }
                return total == 0 ? -1 : total;
            }
        };
    }
}
