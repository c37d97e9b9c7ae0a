package dev.holdfast.crypto;

import com.exceptionfactory.jagged.RecipientStanza;
import java.util.List;

/** Whatever can recover an age file's 16-byte file key from its header's recipient stanzas. */
@FunctionalInterface
public interface AgeKeys {
    /**
     * The file key the stanzas wrap; {@link AgeException} when none of these keys opens any of them. The header
     * MAC is checked by the caller, so a wrong key cannot pass unnoticed.
     */
    byte[] fileKey(List<RecipientStanza> stanzas) throws AgeException;

    /** A file key known already (the writer's own, to check what it just wrote without any identity). */
    static AgeKeys ofFileKey(byte[] fileKey) {
        byte[] copy = fileKey.clone();
        return stanzas -> copy.clone();
    }
}
