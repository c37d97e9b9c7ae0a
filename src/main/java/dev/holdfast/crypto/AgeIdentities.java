package dev.holdfast.crypto;

import com.exceptionfactory.jagged.RecipientStanza;
import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The private age identities ({@code AGE-SECRET-KEY-1…}) this instance may decrypt with, read from a mounted
 * secret file in the format {@code age-keygen} writes. Never printed: {@link #toString()} says only how many.
 */
public final class AgeIdentities implements AgeKeys {
    private final List<RecipientStanzaReader> readers;

    private AgeIdentities(List<RecipientStanzaReader> readers) {
        this.readers = List.copyOf(readers);
    }

    /** No identities: reading an encrypted archive fails, naming the setting that is missing. */
    public static AgeIdentities none() {
        return new AgeIdentities(List.of());
    }

    /**
     * Reads an identities file: one {@code AGE-SECRET-KEY-1…} per line, blank lines and {@code #} comments
     * ignored. Fails, naming the file and line but never its content, when a line is not an identity or the file
     * holds none.
     */
    public static AgeIdentities readFile(Path file, String key) throws AgeException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AgeException(
                    key + " (" + file + ") cannot be read: " + e.getClass().getSimpleName());
        }
        List<RecipientStanzaReader> readers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "line " + (i + 1) + " of " + key + " (" + file + ")";
            if (!line.toUpperCase(Locale.ROOT).startsWith("AGE-SECRET-KEY-1")) {
                throw new AgeException(where + " is not an age identity (AGE-SECRET-KEY-1…)");
            }
            try {
                readers.add(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(line.toUpperCase(Locale.ROOT)));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new AgeException(where + " is not a valid age X25519 identity");
            }
        }
        if (readers.isEmpty()) {
            throw new AgeException(key + " (" + file + ") holds no age identity (AGE-SECRET-KEY-1…)");
        }
        return new AgeIdentities(readers);
    }

    /** How many identities were read. */
    public int size() {
        return readers.size();
    }

    @Override
    public byte[] fileKey(List<RecipientStanza> stanzas) throws AgeException {
        if (readers.isEmpty()) {
            throw new AgeException("the archive is encrypted with age and no identity is configured"
                    + " (holdfast.encryption.identities-file)");
        }
        for (RecipientStanzaReader reader : readers) {
            try {
                return reader.getFileKey(stanzas).getEncoded();
            } catch (GeneralSecurityException | RuntimeException e) {
                // not for this identity: try the next one
            }
        }
        throw new AgeException("none of the " + readers.size() + " configured age identities can decrypt the archive"
                + " (it was encrypted to other recipients, or its header is damaged)");
    }

    @Override
    public String toString() {
        return readers.size() + " age identities";
    }
}
