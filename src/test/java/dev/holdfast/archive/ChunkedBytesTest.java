package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link ChunkedBytes} gives back exactly the bytes written, however the writes and reads fall on its chunks. */
class ChunkedBytesTest {
    @Test
    void readsBackWhatWasWrittenAcrossChunkBoundaries() throws IOException {
        Random rnd = new Random(7);
        for (long expected : new long[] {0, 100, 4096, ChunkedBytes.CHUNK, 10L << 20}) {
            ChunkedBytes out = new ChunkedBytes(expected);
            ByteArrayOutputStream same = new ByteArrayOutputStream();
            // Single bytes, small writes and writes of several chunks at once, ending mid-chunk.
            for (int len : new int[] {1, 1, 300, ChunkedBytes.CHUNK - 302, 1, 3 * ChunkedBytes.CHUNK + 17, 5, 70_000}) {
                byte[] b = new byte[len + 10];
                rnd.nextBytes(b);
                if (len == 1) {
                    out.write(b[3]);
                    same.write(b[3]);
                } else {
                    out.write(b, 10, len);
                    same.write(b, 10, len);
                }
            }
            byte[] want = same.toByteArray();
            assertThat(out.size()).isEqualTo(want.length);
            assertThat(out.toByteArray()).isEqualTo(want);
            ByteArrayOutputStream copied = new ByteArrayOutputStream();
            out.writeTo(copied);
            assertThat(copied.toByteArray()).isEqualTo(want);
            assertThat(out.reader().readAllBytes()).isEqualTo(want);
            assertThat(readInOddPieces(out.reader(), rnd)).isEqualTo(want);
        }
    }

    @Test
    void anEmptyBufferReadsAsEndOfStream() throws IOException {
        ChunkedBytes out = new ChunkedBytes(0);
        assertThat(out.size()).isZero();
        assertThat(out.toByteArray()).isEmpty();
        assertThat(out.reader().read()).isEqualTo(-1);
        assertThat(out.reader().read(new byte[8], 0, 8)).isEqualTo(-1);
        out.write(new byte[0], 0, 0);
        assertThat(out.reader().readAllBytes()).isEmpty();
    }

    /** Reads byte by byte and in random-sized pieces, alternating. */
    private static byte[] readInOddPieces(InputStream in, Random rnd) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[200_000];
        while (true) {
            if (rnd.nextBoolean()) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                got.write(b);
            } else {
                int n = in.read(buf, 5, 1 + rnd.nextInt(buf.length - 5));
                if (n < 0) {
                    break;
                }
                assertThat(n).isPositive();
                got.write(buf, 5, n);
            }
        }
        return got.toByteArray();
    }
}
