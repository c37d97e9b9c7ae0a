package dev.holdfast.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reads a byte range of a file through its own channel; {@link #skip} seeks instead of reading. */
public final class ChannelRangeInputStream extends InputStream {
    private final FileChannel channel;
    private long position;
    private final long end;

    /** Opens {@code file} for reading {@code length} bytes from {@code offset}; throws if the range is not inside. */
    public ChannelRangeInputStream(Path file, long offset, long length) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (offset < 0 || length < 0 || offset > size || length > size - offset) {
                throw new IllegalArgumentException("range " + offset + "+" + length + " is outside "
                        + file.getFileName()
                        + " (" + size + " bytes)");
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        this.channel = ch;
        this.position = offset;
        this.end = offset + length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (position >= end) {
            return -1;
        }
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
        if (n < 0) {
            return -1;
        }
        position += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long s = Math.max(0, Math.min(n, end - position));
        position += s;
        return s;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, end - position);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
