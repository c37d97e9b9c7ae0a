package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OffThreadDigestInputStreamTest {

    @Test
    void passesEveryByteThroughAndDigestsExactlyThem() throws IOException {
        // Sizes around the 1 MiB block: empty, one byte, one block less/exactly/more, several blocks and a tail.
        for (int size : new int[] {0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 5_432_109}) {
            byte[] data = new byte[size];
            new Random(size).nextBytes(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            OffThreadDigestInputStream in = new OffThreadDigestInputStream(new ByteArrayInputStream(data), "test");
            try (in) {
                // Mixed read shapes: single bytes, skips (which must still be digested) and odd-sized reads.
                int first = in.read();
                if (first >= 0) {
                    out.write(first);
                }
                if (size > 10) {
                    byte[] skipped = new byte[7];
                    System.arraycopy(data, out.size(), skipped, 0, 7);
                    assertThat(in.skip(7)).isEqualTo(7);
                    out.write(skipped);
                }
                byte[] buf = new byte[65_537];
                for (int n; (n = in.read(buf, 0, 1 + out.size() % buf.length)) >= 0; ) {
                    out.write(buf, 0, n);
                }
                assertThat(out.toByteArray()).as("size %d", size).isEqualTo(data);
                assertThat(in.sha256Hex()).as("size %d", size).isEqualTo(Digests.sha256Hex(data));
            }
        }
    }

    @Test
    void refusesADigestBeforeTheEndAndStopsItsThreadWhenClosedEarly() throws Exception {
        byte[] data = new byte[3 << 20];
        OffThreadDigestInputStream in = new OffThreadDigestInputStream(new ByteArrayInputStream(data), "test-early");
        in.readNBytes(2 << 20);
        assertThatThrownBy(in::sha256Hex).isInstanceOf(IllegalStateException.class);
        in.close();
        for (int i = 0; i < 100 && threadAlive("test-early"); i++) {
            Thread.sleep(20);
        }
        assertThat(threadAlive("test-early")).isFalse();
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals(name));
    }

    @Test
    void aDifferentByteGivesADifferentDigest() throws IOException {
        byte[] data = new byte[2 << 20];
        new Random(3).nextBytes(data);
        String before = digestOf(data);
        data[1_500_000] ^= 1;
        assertThat(digestOf(data)).isNotEqualTo(before).isEqualTo(Digests.sha256Hex(data));
    }

    private static String digestOf(byte[] data) throws IOException {
        try (OffThreadDigestInputStream in = new OffThreadDigestInputStream(new ByteArrayInputStream(data), "t")) {
            InputStream s = in;
            s.transferTo(java.io.OutputStream.nullOutputStream());
            return in.sha256Hex();
        }
    }
}
