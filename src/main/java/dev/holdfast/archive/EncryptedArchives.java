package dev.holdfast.archive;

import dev.holdfast.crypto.AgeDecryptingInputStream;
import dev.holdfast.crypto.AgeKeys;
import dev.holdfast.crypto.AgeSeekableReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads archives whether or not they are encrypted: an archive whose stored bytes start with the age version line
 * is decrypted with the given keys, any other is read as it is, so archives from before encryption was configured
 * (and after it was switched off) keep working.
 */
public final class EncryptedArchives {
    /** What every age v1 file starts with. */
    private static final byte[] AGE_MAGIC = "age-encryption.org/v1\n".getBytes(StandardCharsets.US_ASCII);

    private EncryptedArchives() {}

    /** Whether the stored bytes are an age file. */
    public static boolean isEncrypted(ArchiveSource stored) throws IOException {
        long size = stored.size();
        if (size < AGE_MAGIC.length) {
            return false;
        }
        try (InputStream in = stored.open(0, AGE_MAGIC.length)) {
            return Arrays.equals(in.readNBytes(AGE_MAGIC.length), AGE_MAGIC);
        }
    }

    /**
     * The plaintext archive of {@code stored}: the seekable decryption of an age file (header, MAC and last chunk
     * checked here, each chunk when it is read), or {@code stored} itself.
     */
    public static ArchiveSource plaintext(ArchiveSource stored, AgeKeys keys) throws IOException {
        if (!isEncrypted(stored)) {
            return stored;
        }
        AgeSeekableReader reader = AgeSeekableReader.open(
                new AgeSeekableReader.Ciphertext() {
                    @Override
                    public long size() throws IOException {
                        return stored.size();
                    }

                    @Override
                    public InputStream open(long offset, long length) throws IOException {
                        return stored.open(offset, length);
                    }
                },
                keys);
        return new ArchiveSource() {
            @Override
            public long size() {
                return reader.size();
            }

            @Override
            public InputStream open(long offset, long length) throws IOException {
                return reader.open(offset, length);
            }

            @Override
            public String toString() {
                return stored + " (decrypted)";
            }
        };
    }

    /** The plaintext of an archive read once from start to end; an age file is decrypted on the way. */
    public static InputStream plaintext(InputStream stored, AgeKeys keys) throws IOException {
        BufferedInputStream in = new BufferedInputStream(stored, 64 * 1024);
        in.mark(AGE_MAGIC.length);
        byte[] head = in.readNBytes(AGE_MAGIC.length);
        in.reset();
        return Arrays.equals(head, AGE_MAGIC) ? new AgeDecryptingInputStream(in, keys) : in;
    }
}
