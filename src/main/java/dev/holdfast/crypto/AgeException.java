package dev.holdfast.crypto;

import java.io.IOException;

/**
 * An age file that cannot be decrypted (damaged, truncated, reordered, or meant for other keys), or a key that
 * does not parse. Messages never contain key material.
 */
public class AgeException extends IOException {
    public AgeException(String message) {
        super(message);
    }

    public AgeException(String message, Throwable cause) {
        super(message, cause);
    }
}
