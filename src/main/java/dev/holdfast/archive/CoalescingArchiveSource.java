package dev.holdfast.archive;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Serves ranged reads of small pieces that come in increasing order from one sequential read of the store,
 * instead of one request each: what a media restore of many small files from object storage needs.
 *
 * <p>Why: restoring 20,000 files of 1-64 KB from s3proxy made 20,000 ranged {@code GetObject} requests and took
 * 36 s against 3.7 s from local disk (bench/README.md, 2026-12-05). Here a piece of at most {@code maxPiece}
 * bytes that starts at or after the end of the previous one, within {@code maxGap} bytes, is read from the one
 * open stream (skipping the gap) into memory and handed out as a byte array, so a caller may read it on another
 * thread; anything else (a large piece, a jump backwards or far ahead) is its own ranged read, and a small piece
 * out of order starts a new sequential stream where it lies. Sequential streams cover {@code window} bytes each and
 * are closed as soon as they are read to their end. Memory: the pieces handed out and not yet read, each at
 * most {@code maxPiece}. Thread-safe: {@link #open} is serialised, which is what makes the one stream sequential.
 */
public final class CoalescingArchiveSource implements ArchiveSource {
    private final ArchiveSource source;
    private final long maxPiece;
    private final long maxGap;
    private final long window;
    private InputStream sequential;
    private long windowEnd; // end of the range sequential was opened for
    private long position; // offset of the next byte of sequential
    private long requests;

    /**
     * Coalesces reads of pieces up to {@code maxPiece} bytes, skipping gaps up to {@code maxGap} bytes, with
     * sequential requests of {@code window} bytes each (so at most one partly read window is left open at the end).
     */
    public CoalescingArchiveSource(ArchiveSource source, long maxPiece, long maxGap, long window) {
        this.source = source;
        this.maxPiece = maxPiece;
        this.maxGap = maxGap;
        this.window = window;
    }

    @Override
    public long size() throws IOException {
        return source.size();
    }

    @Override
    public synchronized InputStream open(long offset, long length) throws IOException {
        if (length > maxPiece) {
            requests++;
            return source.open(offset, length);
        }
        if (sequential == null || offset < position || offset - position > maxGap || offset + length > windowEnd) {
            close();
            requests++;
            windowEnd = Math.min(source.size(), offset + Math.max(window, length));
            sequential = source.open(offset, windowEnd - offset);
            position = offset;
        }
        long gap = offset - position;
        if (gap > 0) {
            sequential.skipNBytes(gap);
            position = offset;
        }
        byte[] piece = sequential.readNBytes((int) length);
        position += piece.length;
        if (piece.length != length) {
            throw new EOFException("archive ends " + (length - piece.length) + " bytes before the end of the range "
                    + offset + "+" + length);
        }
        if (position == windowEnd) {
            close(); // nothing left in this window: give the connection back now, not when it is collected
        }
        return new ByteArrayInputStream(piece);
    }

    /** Requests made to the underlying source so far (for tests and measurements). */
    public synchronized long requests() {
        return requests;
    }

    /** Closes the sequential stream, if one is open; a later {@link #open} starts a new one. */
    public synchronized void close() throws IOException {
        if (sequential != null) {
            InputStream s = sequential;
            sequential = null;
            s.close();
        }
    }

    @Override
    public String toString() {
        return source.toString();
    }
}
