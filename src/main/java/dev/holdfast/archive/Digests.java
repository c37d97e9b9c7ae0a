package dev.holdfast.archive;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers and counting, digesting stream wrappers shared by the writer and the reader. */
public final class Digests {
    private Digests() {}

    /** A new SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** Lower-case hex of a digest. */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** SHA-256 (hex) of everything {@code in} holds; closes it. */
    public static String sha256Hex(InputStream in) throws IOException {
        try (in) {
            MessageDigest md = sha256();
            byte[] buf = new byte[256 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return hex(md.digest());
        }
    }

    static String sha256Hex(byte[] data) {
        return hex(sha256().digest(data));
    }

    /** Counts and digests what passes through; single-threaded like any stream. */
    static class DigestingOutputStream extends FilterOutputStream {
        final MessageDigest digest = sha256();
        private final boolean hashing;
        long count;

        DigestingOutputStream(OutputStream out) {
            this(out, true);
        }

        /** With {@code hashing} false it only counts (when another stream hashes the same bytes). */
        DigestingOutputStream(OutputStream out, boolean hashing) {
            super(out);
            this.hashing = hashing;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            if (hashing) {
                digest.update((byte) b);
            }
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            if (hashing) {
                digest.update(b, off, len);
            }
            count += len;
        }
    }

    /** Counts and digests what is read through it. */
    static class DigestingInputStream extends FilterInputStream {
        final MessageDigest digest = sha256();
        long count;

        DigestingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                digest.update((byte) b);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // Skipping would leave bytes out of the digest.
            return skipByReading(this, n);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    /**
     * Skips up to {@code n} bytes by reading them through {@code in}'s own {@code read}, so that a digesting
     * stream digests them; returns how many were skipped (fewer at the end of the stream).
     */
    public static long skipByReading(InputStream in, long n) throws IOException {
        byte[] buf = new byte[(int) Math.max(1, Math.min(n, 64 * 1024))];
        long done = 0;
        while (done < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    /** Reads {@code in} to its end, discarding the bytes; returns how many there were. */
    static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            total += n;
        }
        return total;
    }
}
