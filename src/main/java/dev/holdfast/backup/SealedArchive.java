package dev.holdfast.backup;

import dev.holdfast.archive.ArchiveSummary;
import dev.holdfast.crypto.AgeEncryptingOutputStream;
import dev.holdfast.crypto.AgeKeys;
import dev.holdfast.crypto.AgeRecipient;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Where the tar goes: straight to storage, or through age encryption to the recipients, counting and hashing
 * the stored bytes. The file key stays here only for the post-write check, which needs no identity.
 */
final class SealedArchive implements AutoCloseable {
    private final OutputStream plaintext;
    private final AgeEncryptingOutputStream age;
    private final MessageDigest sha;
    private final CountingStream counted;

    SealedArchive(OutputStream stored, List<AgeRecipient> recipients) throws IOException {
        if (recipients.isEmpty()) {
            plaintext = stored;
            age = null;
            sha = null;
            counted = null;
            return;
        }
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        counted = new CountingStream(new DigestOutputStream(stored, sha));
        age = new AgeEncryptingOutputStream(counted, recipients);
        plaintext = age;
    }

    OutputStream plaintext() {
        return plaintext;
    }

    /** Ends the age stream (its last chunk) and returns the summary of what was stored. */
    ArchiveSummary finish(ArchiveSummary tar) throws IOException {
        if (age == null) {
            return tar;
        }
        age.close();
        return new ArchiveSummary(
                tar.manifest(), tar.manifestSha256(), HexFormat.of().formatHex(sha.digest()), counted.count);
    }

    /** Keys that open the stored archive for the post-write check (none needed for a plain one). */
    AgeKeys keys() {
        return age == null
                ? stanzas -> {
                    throw new dev.holdfast.crypto.AgeException("not encrypted");
                }
                : age.ownKey();
    }

    @Override
    public void close() {
        // Nothing to release: the storage stream belongs to the WritableArchive.
    }

    /** Counts bytes on their way to storage. */
    static final class CountingStream extends java.io.FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
