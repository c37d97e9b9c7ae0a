package dev.holdfast.archive;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Deterministic generated content, produced on the fly so tests never hold large data in memory. */
final class TestData {
    private TestData() {}

    /**
     * {@code length} bytes from {@code seed}: alternating 64 KiB runs of random bytes and of COPY-like text
     * rows, {@code compressiblePercent} of the runs being text.
     */
    static InputStream stream(long seed, long length, int compressiblePercent) {
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private final byte[] run = new byte[64 * 1024];
            private int pos = run.length;
            private long left = length;
            private long row;

            private void refill() {
                if (random.nextInt(100) < compressiblePercent) {
                    int i = 0;
                    while (i < run.length) {
                        byte[] line = (row + "\tuser" + (row % 977) + "@example.com\t" + (random.nextInt(1000))
                                        + "\t2024-05-" + (10 + row % 18) + " 12:00:00+00\tactive\n")
                                .getBytes(StandardCharsets.US_ASCII);
                        int n = Math.min(line.length, run.length - i);
                        System.arraycopy(line, 0, run, i, n);
                        i += n;
                        row++;
                    }
                } else {
                    for (int i = 0; i < run.length; i += 8) {
                        long v = random.nextLong();
                        for (int j = 0; j < 8; j++) {
                            run[i + j] = (byte) (v >>> (8 * j));
                        }
                    }
                }
                pos = 0;
            }

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                if (pos == run.length) {
                    refill();
                }
                int n = (int) Math.min(Math.min(len, run.length - pos), left);
                System.arraycopy(run, pos, b, off, n);
                pos += n;
                left -= n;
                return n;
            }
        };
    }

    static byte[] bytes(long seed, int length, int compressiblePercent) throws java.io.IOException {
        return stream(seed, length, compressiblePercent).readAllBytes();
    }
}
