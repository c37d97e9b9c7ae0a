package dev.holdfast.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The age payload's STREAM construction: chunk {@code i} of 64 KiB plaintext is sealed with ChaCha20-Poly1305 under
 * HKDF(salt = the 16-byte nonce, file key, "payload"), nonce = 11-byte big-endian {@code i} followed by 1 for the
 * last chunk and 0 otherwise. The counter binds each chunk to its position and the flag marks the end, so
 * reordering, truncation and extension all fail authentication.
 */
final class AgePayload {
    static final int CHUNK = 64 * 1024;
    static final int TAG = 16;
    static final int SEALED_CHUNK = CHUNK + TAG;
    static final int NONCE = 16;

    private final SecretKeySpec key;
    private final Cipher cipher;

    AgePayload(byte[] fileKey, byte[] nonce) {
        key = new SecretKeySpec(Hkdf.derive(nonce, fileKey, "payload"), "ChaCha20");
        try {
            cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Java 11+ provides ChaCha20-Poly1305", e);
        }
    }

    /** Byte offset of sealed chunk {@code index} from the start of the payload (after the nonce). */
    static long sealedOffset(long index) {
        return index * SEALED_CHUNK;
    }

    /** Seals {@code len} plaintext bytes (at most {@link #CHUNK}) into {@code out}; returns the sealed length. */
    int seal(long index, boolean last, byte[] in, int len, byte[] out) throws AgeException {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce(index, last)));
            return cipher.doFinal(in, 0, len, out, 0);
        } catch (GeneralSecurityException e) {
            throw new AgeException("encrypting chunk " + index + " failed", e);
        }
    }

    /** Opens a sealed chunk into {@code out}; returns the plaintext length or fails when the tag does not match. */
    int open(long index, boolean last, byte[] in, int len, byte[] out) throws AgeException {
        if (len < TAG) {
            throw new AgeException("encrypted archive truncated: chunk " + index + " is shorter than its tag");
        }
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce(index, last)));
            return cipher.doFinal(in, 0, len, out, 0);
        } catch (AEADBadTagException e) {
            throw new AgeException("encrypted archive: chunk " + index + (last ? " (the last)" : "")
                    + " failed authentication: the file is damaged, truncated or reordered");
        } catch (GeneralSecurityException e) {
            throw new AgeException("decrypting chunk " + index + " failed", e);
        }
    }

    private static byte[] nonce(long index, boolean last) {
        byte[] n = new byte[12];
        for (int i = 0; i < 8; i++) {
            n[10 - i] = (byte) (index >>> (8 * i));
        }
        n[11] = (byte) (last ? 1 : 0);
        return n;
    }
}
