package dev.holdfast.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Passes a stream through unchanged and takes the SHA-256 of every byte read on a thread of its own, so that the
 * whole-archive digest of a verification runs beside the per-entry checks instead of after them on the same core.
 *
 * <p>Why: verifying an archive read back from storage hashes every byte twice (the whole archive, then each entry's
 * stored bytes). On one thread those passes add up; a 221 MB archive spent 0.15-0.3 s of wall time in the second.
 * The reader copies what it read into 1 MiB blocks (a memory copy, a few percent of a hash) and hands them over a
 * queue of four, so at most 5 MiB are held whatever the archive's size. {@link #sha256Hex()} is meant to be called
 * after the stream was read to its end; bytes the caller never read are not digested.
 */
public final class OffThreadDigestInputStream extends FilterInputStream {
    private static final int BLOCK = 1 << 20;
    private static final Block END = new Block(new byte[0], 0);

    private record Block(byte[] bytes, int length) {}

    private final BlockingQueue<Block> full = new ArrayBlockingQueue<>(4);
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(5);
    private final CompletableFuture<String> digest = new CompletableFuture<>();
    private byte[] block = new byte[BLOCK];
    private int filled;
    private boolean ended;

    /** Starts the hashing thread; {@code name} names it in thread dumps and profiles. */
    public OffThreadDigestInputStream(InputStream in, String name) {
        super(in);
        Thread t = new Thread(this::hash, name);
        t.setDaemon(true);
        t.start();
    }

    private void hash() {
        MessageDigest md = Digests.sha256();
        try {
            while (true) {
                Block b = full.take();
                if (b == END) {
                    break;
                }
                md.update(b.bytes(), 0, b.length());
                free.offer(b.bytes());
            }
            digest.complete(Digests.hex(md.digest()));
        } catch (InterruptedException e) {
            digest.completeExceptionally(e);
        }
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            end();
        } else {
            append(new byte[] {(byte) b}, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            end();
        } else {
            append(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must be digested too: read them instead.
        return Digests.skipByReading(this, n);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void append(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, block.length - filled);
            System.arraycopy(b, off, block, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == block.length) {
                handOver();
            }
        }
    }

    private void handOver() throws IOException {
        try {
            full.put(new Block(block, filled));
            byte[] reuse = free.poll();
            block = reuse != null ? reuse : new byte[BLOCK];
            filled = 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while digesting");
        }
    }

    private void end() throws IOException {
        if (ended) {
            return;
        }
        ended = true;
        if (filled > 0) {
            handOver();
        }
        try {
            full.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while digesting");
        }
    }

    /** The SHA-256 (hex) of every byte read, once the stream has reached its end (waits for the hashing thread). */
    public String sha256Hex() throws IOException {
        if (!ended) {
            throw new IllegalStateException("the stream has not been read to its end");
        }
        try {
            return digest.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while digesting");
        } catch (ExecutionException e) {
            throw new IOException("digesting failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            super.close();
        } finally {
            if (!ended) {
                ended = true;
                // Stops the hashing thread of a stream abandoned before its end; the digest is then never asked for.
                full.clear();
                full.offer(END);
            }
        }
    }
}
