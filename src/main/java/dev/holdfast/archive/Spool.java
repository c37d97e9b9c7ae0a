package dev.holdfast.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;

/**
 * Holds one entry's compressed bytes until their size is known: in memory up to a small threshold,
 * then in an already-unlinked 0600 temp file, so nothing is left behind even if the process dies.
 */
final class Spool extends OutputStream {
    private final Path dir;
    private final int memoryLimit;
    private ChunkedBytes memory;
    private FileChannel file;
    private OutputStream fileOut;
    private long size;

    Spool(Path dir, int memoryLimit) {
        this(dir, memoryLimit, 4096);
    }

    /** A spool whose first memory chunk holds {@code expected} bytes (capped): a small entry takes a small array. */
    Spool(Path dir, int memoryLimit, long expected) {
        this.dir = dir;
        this.memoryLimit = memoryLimit;
        this.memory = new ChunkedBytes(Math.min(expected, memoryLimit));
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (fileOut == null && memory.size() + len > memoryLimit) {
            spill();
        }
        if (fileOut != null) {
            fileOut.write(b, off, len);
        } else {
            memory.write(b, off, len);
        }
        size += len;
    }

    private void spill() throws IOException {
        Path tmp = Files.createTempFile(
                dir,
                ".spool-",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            file = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        } finally {
            // Unlinked while open: the data stays reachable through the channel only and the kernel
            // reclaims it when the channel closes, crash or not.
            Files.deleteIfExists(tmp);
        }
        fileOut = new java.io.BufferedOutputStream(Channels.newOutputStream(file), 256 * 1024);
        memory.writeTo(fileOut);
        memory = null;
    }

    /** Bytes written so far. */
    long size() {
        return size;
    }

    /** Ends writing; the bytes can then be read once with {@link #openForRead()}. */
    void finishWriting() throws IOException {
        if (fileOut != null) {
            fileOut.flush();
        }
    }

    InputStream openForRead() throws IOException {
        if (file == null) {
            return memory.reader();
        }
        file.position(0);
        FileChannel ch = file;
        return new InputStream() {
            private final ByteBuffer one = ByteBuffer.allocate(1);

            @Override
            public int read() throws IOException {
                one.clear();
                int n = ch.read(one);
                return n <= 0 ? -1 : one.get(0) & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return ch.read(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** Releases memory and the temp file; idempotent. */
    @Override
    public void close() throws IOException {
        memory = null;
        if (file != null) {
            file.close();
            file = null;
        }
    }
}
