package dev.holdfast.archive;

import java.io.IOException;
import java.io.OutputStream;

/**
 * One entry being produced: raw bytes written here are hashed, compressed, hashed again and spooled, so
 * many entries can be produced in parallel; {@link #commit()} appends it to the archive.
 */
public final class EntryBuilder extends OutputStream {
    private final ArchiveWriter writer;
    private final String name;
    private final String kind;
    private final Codec codec;
    private final Spool spool;
    private final Digests.DigestingOutputStream stored;
    private final OutputStream compressor;
    private final Digests.DigestingOutputStream raw;
    private boolean done;

    EntryBuilder(
            ArchiveWriter writer,
            String name,
            String kind,
            Codec codec,
            long expectedStoredBytes,
            int level,
            int windowLog)
            throws IOException {
        this.writer = writer;
        this.name = name;
        this.kind = kind;
        this.codec = codec;
        this.spool = writer.newSpool(expectedStoredBytes);
        this.stored = new Digests.DigestingOutputStream(spool) {
            @Override
            public synchronized void write(byte[] b, int off, int len) throws IOException {
                // Fail while the producer is still running, not after a huge entry has been spooled.
                writer.checkGrowing(name, count + len);
                super.write(b, off, len);
            }

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void close() throws IOException {
                // The codec's close() ends its stream here; the spool must stay readable for commit().
                flush();
            }
        };
        this.compressor = writer.newCompressor(codec, stored, level, windowLog);
        this.raw = new Digests.DigestingOutputStream(compressor, codec != Codec.NONE);
        writer.registerOpen(this);
    }

    /** The entry name. */
    public String name() {
        return name;
    }

    /** The entry kind recorded in the manifest. */
    public String kind() {
        return kind;
    }

    /** The codec compressing this entry. */
    public Codec codec() {
        return codec;
    }

    /** Raw bytes written so far. */
    public long rawBytes() {
        return raw.count;
    }

    // Synchronized so that ArchiveWriter.close() aborting from another thread waits for a write in
    // progress instead of freeing the codec's native memory under it.
    @Override
    public synchronized void write(int b) throws IOException {
        ensureOpen();
        raw.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        raw.write(b, off, len);
    }

    /**
     * Ends the compressed stream and appends the entry to the archive, waiting for the archive lock while
     * another entry is being appended. Returns what was stored.
     */
    public synchronized EntryInfo commit() throws IOException {
        ensureOpen();
        done = true;
        try {
            // Closing the compressor writes the codec's trailer; the spool itself stays readable.
            compressor.close();
            spool.finishWriting();
            return writer.commit(this, raw.count, codec == Codec.NONE ? null : Digests.hex(raw.digest.digest()), spool);
        } catch (IOException | RuntimeException e) {
            writer.release(this, false);
            throw e;
        } finally {
            spool.close();
        }
    }

    /** Discards the entry and its spooled bytes; its name may be used again. Idempotent. */
    public void abort() {
        release(false);
    }

    /**
     * Discards the entry unless it was committed. An entry closed this way without {@link #abort()} makes
     * {@link ArchiveWriter#finish} fail, so forgetting to commit can never silently drop data.
     */
    @Override
    public void close() {
        release(true);
    }

    String storedShaWhileSpooling() {
        return Digests.hex(stored.digest.digest());
    }

    private synchronized void release(boolean abandoned) {
        if (done) {
            return;
        }
        done = true;
        try {
            compressor.close();
        } catch (IOException | RuntimeException ignored) {
            // The bytes are being thrown away; a codec complaining about it changes nothing.
        }
        try {
            spool.close();
        } catch (IOException ignored) {
            // Closing the unlinked spool frees it; there is nothing else to clean up.
        }
        writer.release(this, abandoned);
    }

    private void ensureOpen() throws IOException {
        if (done) {
            throw new IOException("entry '" + name + "' is already committed or aborted");
        }
    }
}
