package dev.holdfast.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The encrypting stream seals chunks on other threads: what it writes must still be one age file in order, and a
 * failing target must fail the writer rather than be lost on a sealing thread.
 */
class AgeEncryptingOutputStreamTest {
    private static final String RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    private static List<AgeRecipient> to() throws AgeException {
        return List.of(AgeRecipient.parse(RECIPIENT, "test recipient"));
    }

    @Test
    void manyChunksWrittenInUnevenPiecesDecryptInOrder() throws IOException {
        byte[] plain = new byte[40 * 65536 + 4321];
        new Random(7).nextBytes(plain);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AgeKeys own;
        try (AgeEncryptingOutputStream enc = new AgeEncryptingOutputStream(out, to())) {
            own = enc.ownKey();
            Random sizes = new Random(8);
            for (int i = 0; i < plain.length; ) {
                int n = Math.min(plain.length - i, 1 + sizes.nextInt(200_000));
                enc.write(plain, i, n);
                i += n;
            }
        }
        try (InputStream in = new AgeDecryptingInputStream(new ByteArrayInputStream(out.toByteArray()), own)) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
        }
    }

    @Test
    void aTargetThatFailsMidwayFailsTheWriterNotASealingThread() throws IOException {
        AtomicLong accepted = new AtomicLong();
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (accepted.addAndGet(len) > 5 * 65536) {
                    throw new IOException("disk full");
                }
            }
        };
        AgeEncryptingOutputStream enc = new AgeEncryptingOutputStream(failing, to());
        byte[] chunk = new byte[65536];
        assertThatThrownBy(() -> {
                    for (int i = 0; i < 1000; i++) {
                        enc.write(chunk);
                    }
                    enc.close();
                })
                .isInstanceOf(IOException.class)
                .hasMessageContaining("disk full");
        assertThatThrownBy(enc::close).isInstanceOf(IOException.class);
    }
}
