package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ReadAheadInputStreamTest {

    @Test
    void deliversEveryByteInOrderWhateverTheChunkAndReadSizes() throws IOException {
        byte[] data = new byte[3_000_017];
        new Random(7).nextBytes(data);
        for (int chunk : new int[] {1024, 4096, 256 * 1024}) {
            // a source that returns short reads, as decompressors do
            InputStream source = new ByteArrayInputStream(data) {
                @Override
                public synchronized int read(byte[] b, int off, int len) {
                    return super.read(b, off, Math.min(len, 777));
                }
            };
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (InputStream in = new ReadAheadInputStream(source, chunk, 3, "test-read-ahead")) {
                byte[] buf = new byte[5000];
                int n;
                while ((n = in.read(buf, 0, 1 + (out.size() % buf.length))) >= 0) {
                    out.write(buf, 0, n);
                }
                assertThat(in.read()).isEqualTo(-1);
            }
            assertThat(out.toByteArray()).as("chunk %d", chunk).isEqualTo(data);
        }
    }

    @Test
    void aFailureAtTheEndArrivesAfterTheBytesBeforeItAndNeverAsAnEnd() throws IOException {
        byte[] data = new byte[100_000];
        new Random(3).nextBytes(data);
        InputStream failingAtEnd = new InputStream() {
            private final InputStream in = new ByteArrayInputStream(data);

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n < 0) {
                    throw new CorruptArchiveException("entry 'x' raw SHA-256 differs");
                }
                return n;
            }
        };
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (InputStream in = new ReadAheadInputStream(failingAtEnd, 4096, 2, "test-read-ahead")) {
            byte[] buf = new byte[1000];
            assertThatThrownBy(() -> {
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            got.write(buf, 0, n);
                        }
                    })
                    .isInstanceOf(CorruptArchiveException.class)
                    .hasMessageContaining("raw SHA-256 differs");
            assertThat(got.toByteArray()).isEqualTo(data);
            // and it stays failed rather than turning into an end of stream
            assertThatThrownBy(() -> in.read(buf)).isInstanceOf(CorruptArchiveException.class);
        }
    }

    @Test
    void closingEarlyStopsTheReaderThreadAndClosesTheSource() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return len;
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
        ReadAheadInputStream in = new ReadAheadInputStream(endless, 1024, 2, "test-read-ahead-endless");
        assertThat(in.read(new byte[10])).isEqualTo(10);
        in.close();
        assertThat(closed).isTrue();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("test-read-ahead-endless"));
    }
}
