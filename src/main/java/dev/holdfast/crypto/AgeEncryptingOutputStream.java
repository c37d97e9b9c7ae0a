package dev.holdfast.crypto;

import com.exceptionfactory.jagged.RecipientStanza;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Encrypts everything written to it into one age file for N recipients, streaming. Full chunks are sealed on other
 * threads (ChaCha20-Poly1305 is pure Java before JDK 20 and costs more than the rest of a backup's work on the
 * bytes), several at a time, and written to the target in order by whichever thread finishes one; the writer only
 * copies into the chunk being filled, so the cipher no longer runs under the archive's lock. Memory: at most
 * {@value #SLOTS} chunks (plain and sealed, about {@value #SLOTS} × 128 KiB), whatever the size.
 *
 * <p>{@link #close()} writes the last chunk, waits until every chunk has reached the target and flushes it without
 * closing it (the caller owns it, e.g. a storage write that is committed afterwards); without {@code close()} the
 * file is incomplete and every reader refuses it. A failure of the target is thrown by the next
 * {@code write}, {@code flush} or {@code close}. Like any stream, one writer thread at a time.
 */
public final class AgeEncryptingOutputStream extends OutputStream {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Chunks being filled, sealed or written at once: enough to keep both of a small host's cores busy. */
    static final int SLOTS = 4;

    private static final ExecutorService SEALERS = Executors.newCachedThreadPool(new ThreadFactory() {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "age-seal-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    });

    private final OutputStream out;
    private final byte[] fileKey = new byte[16];
    private final BlockingQueue<Slot> free = new ArrayBlockingQueue<>(SLOTS);
    /** Completes when every chunk handed off so far has been written (never exceptionally: see {@link #error}). */
    private CompletableFuture<Void> written = CompletableFuture.completedFuture(null);
    /** The first failure of a sealing or writing thread; once set, later chunks are dropped. */
    private volatile Throwable error;

    private Slot slot;
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
        for (int i = 0; i < SLOTS; i++) {
            // A Cipher is not thread-safe: each slot has its own, so slots are sealed in parallel.
            free.add(new Slot(new AgePayload(fileKey, nonce)));
        }
        slot = free.poll();
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
        rethrow();
        while (len > 0) {
            if (slot.filled == AgePayload.CHUNK) {
                // A full chunk is sealed only once more data arrives: the last chunk must carry the last flag,
                // and it may be full but never empty (unless the whole payload is).
                handOff(false);
                slot = takeFree();
            }
            int n = Math.min(len, AgePayload.CHUNK - slot.filled);
            System.arraycopy(b, off, slot.plain, slot.filled, n);
            slot.filled += n;
            off += n;
            len -= n;
        }
    }

    /** Seals the current chunk on a sealing thread; it is written after every chunk before it. */
    private void handOff(boolean last) {
        Slot s = slot;
        long i = index++;
        slot = null;
        CompletableFuture<Void> sealed = CompletableFuture.runAsync(
                () -> {
                    if (error == null) {
                        try {
                            s.sealedLength = s.payload.seal(i, last, s.plain, s.filled, s.sealed);
                        } catch (Throwable e) {
                            fail(e);
                        }
                    }
                },
                SEALERS);
        written = written.thenCombine(sealed, (a, b) -> null).thenRun(() -> {
            try {
                if (error == null) {
                    out.write(s.sealed, 0, s.sealedLength);
                }
            } catch (Throwable e) {
                fail(e);
            } finally {
                s.filled = 0;
                free.add(s);
            }
        });
    }

    private void fail(Throwable e) {
        synchronized (free) {
            if (error == null) {
                error = e;
            }
        }
    }

    private Slot takeFree() throws IOException {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while encrypting");
        }
    }

    /** Waits until every chunk handed off has been written (or dropped after a failure). */
    private void drain() throws IOException {
        try {
            written.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while encrypting");
        } catch (ExecutionException e) {
            fail(e.getCause()); // not expected: every stage catches its own failures
        }
        rethrow();
    }

    private void rethrow() throws IOException {
        Throwable e = error;
        if (e == null) {
            return;
        }
        if (e instanceof IOException io) {
            throw new IOException("encrypting the archive failed: " + io.getMessage(), io);
        }
        throw new IOException("encrypting the archive failed: " + e, e);
    }

    /**
     * Waits for the chunks handed off so far and flushes the target; the chunk being filled stays here until it
     * is full or the stream is closed.
     */
    @Override
    public void flush() throws IOException {
        drain();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        rethrow();
        if (slot == null) {
            throw new InterruptedIOException("encrypting was interrupted: the age file is incomplete");
        }
        handOff(true);
        drain();
        out.flush();
    }

    /** One chunk's buffers and the cipher that seals it. */
    private static final class Slot {
        final AgePayload payload;
        final byte[] plain = new byte[AgePayload.CHUNK];
        final byte[] sealed = new byte[AgePayload.SEALED_CHUNK];
        int filled;
        int sealedLength;

        Slot(AgePayload payload) {
            this.payload = payload;
        }
    }
}
