package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CoalescingArchiveSourceTest {
    private final byte[] data = new byte[3_000_000];
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();

    {
        new Random(11).nextBytes(data);
    }

    /** A store that counts its requests and checks that every range lies inside the data. */
    private final ArchiveSource store = new ArchiveSource() {
        @Override
        public long size() {
            return data.length;
        }

        @Override
        public InputStream open(long offset, long length) {
            assertThat(offset + length).isLessThanOrEqualTo(data.length);
            opened.incrementAndGet();
            return new ByteArrayInputStream(data, (int) offset, (int) length) {
                @Override
                public void close() {
                    closed.incrementAndGet();
                }
            };
        }
    };

    private byte[] read(ArchiveSource s, long offset, int length) throws IOException {
        try (InputStream in = s.open(offset, length)) {
            return in.readAllBytes();
        }
    }

    @Test
    void piecesInIncreasingOrderShareOneRequestPerWindowAndComeOutExact() throws IOException {
        CoalescingArchiveSource s = new CoalescingArchiveSource(store, 64 * 1024, 4096, 1 << 20);
        Random r = new Random(3);
        long at = 0;
        int pieces = 0;
        while (true) {
            int len = 1 + r.nextInt(60_000);
            long offset = at + r.nextInt(1024); // tar headers and padding between entries
            if (offset + len > data.length) {
                break;
            }
            assertThat(read(s, offset, len)).isEqualTo(Arrays.copyOfRange(data, (int) offset, (int) offset + len));
            at = offset + len;
            pieces++;
        }
        assertThat(pieces).isGreaterThan(80);
        // One request per 1 MiB window (3 MB of data), not one per piece.
        assertThat(s.requests()).isLessThanOrEqualTo(4);
        assertThat(opened.get()).isEqualTo((int) s.requests());
        s.close();
        assertThat(closed.get()).isEqualTo(opened.get());
    }

    @Test
    void largePiecesJumpsBackAndFarAheadAreRangedReadsOfTheirOwnAndStillExact() throws IOException {
        CoalescingArchiveSource s = new CoalescingArchiveSource(store, 64 * 1024, 4096, 1 << 20);
        List<long[]> reads = new ArrayList<>(List.of(
                new long[] {1000, 500}, // 1: starts a window [1000, 1000 + 1 MiB)
                new long[] {1600, 200_000}, // 2: larger than a piece: a ranged read of its own
                new long[] {1500, 100}, // behind the large one but where the window stands: from the window
                new long[] {900_000, 50_000}, // 3: far ahead of the window's position: a new window
                new long[] {1_940_000, 20_000}, // 4: within the gap? no, far ahead again: a new window
                new long[] {1_960_000, 3_000}, // from window 4
                new long[] {1_500, 10}, // 5: back behind the position: a new window
                new long[] {2_999_990, 10}, // 6: far ahead
                new long[] {2_000_000, 60_000})); // 7: back again
        for (long[] rd : reads) {
            assertThat(read(s, rd[0], (int) rd[1]))
                    .as("%d+%d", rd[0], rd[1])
                    .isEqualTo(Arrays.copyOfRange(data, (int) rd[0], (int) (rd[0] + rd[1])));
        }
        assertThat(s.requests()).isEqualTo(opened.get()).isEqualTo(7);
        // A window that reaches its end is closed at once; the others when the source is closed.
        s.close();
        assertThat(closed.get()).isEqualTo(7);
    }

    @Test
    void aPieceReadLaterOnAnotherThreadIsStillItsOwnBytes() throws Exception {
        CoalescingArchiveSource s = new CoalescingArchiveSource(store, 64 * 1024, 4096, 1 << 20);
        InputStream first = s.open(0, 1000);
        InputStream second = s.open(1000, 1000); // opened before the first is read, as a restore's opener does
        byte[][] got = new byte[2][];
        Thread t = new Thread(() -> {
            try {
                got[1] = second.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        got[0] = first.readAllBytes();
        t.join();
        assertThat(got[0]).isEqualTo(Arrays.copyOfRange(data, 0, 1000));
        assertThat(got[1]).isEqualTo(Arrays.copyOfRange(data, 1000, 2000));
        assertThat(s.requests()).isEqualTo(1);
    }
}
