package dev.holdfast.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * Copies one archive from a storage to another and proves the copy: the bytes are streamed across (never staged
 * whole), hashed on the way, committed at the destination under the same key, then read back from the destination
 * and hashed again; both hashes must equal the SHA-256 the catalog recorded. A key that already holds the same
 * bytes at the destination (a copy retried after its commit) counts as copied; one that holds other bytes is
 * replaced, since it can only be an earlier broken copy of this very archive.
 */
public final class ArchiveCopy {
    private static final int BUFFER = 1 << 20;

    /** What a copy did. */
    public record Result(long bytes, String sha256, boolean alreadyThere, boolean replacedBroken) {}

    /** Thrown when the bytes are not the recorded ones (at the source or at the destination): nothing is kept. */
    public static final class MismatchException extends IOException {
        MismatchException(String message) {
            super(message);
        }
    }

    /** Called between buffers; it throws to stop the copy (a cancelled job). */
    @FunctionalInterface
    public interface Checkpoint {
        void check();
    }

    private final ArchiveStorage from;
    private final ArchiveStorage to;

    public ArchiveCopy(ArchiveStorage from, ArchiveStorage to) {
        this.from = from;
        this.to = to;
    }

    /**
     * Copies {@code key}, whose recorded SHA-256 is {@code expectedSha256} (lower-case hex).
     *
     * @param progress receives the bytes copied so far, then the bytes read back at the destination added to them
     */
    public Result copy(String key, String expectedSha256, LongConsumer progress, Checkpoint checkpoint)
            throws IOException {
        boolean replaced = false;
        if (to.exists(key)) {
            String there = sha256(to, key, b -> {}, checkpoint);
            if (there.equals(expectedSha256)) {
                return new Result(to.size(key), there, true, false);
            }
            to.delete(key);
            replaced = true;
        }
        long bytes;
        String sent;
        try (InputStream in = from.open(key);
                WritableArchive out = to.create(key)) {
            MessageDigest md = sha256();
            OutputStream os = out.stream();
            byte[] buf = new byte[BUFFER];
            long done = 0;
            try (DigestInputStream din = new DigestInputStream(in, md)) {
                int n;
                while ((n = din.read(buf)) > 0) {
                    checkpoint.check();
                    os.write(buf, 0, n);
                    done += n;
                    progress.accept(done);
                }
            }
            sent = HexFormat.of().formatHex(md.digest());
            if (!sent.equals(expectedSha256)) {
                // The source is not what the catalog says: a copy of it would spread the damage.
                throw new MismatchException("the archive in the primary storage has SHA-256 " + sent
                        + ", not the recorded " + expectedSha256 + "; nothing was copied (verify the backup)");
            }
            os.flush();
            out.commit();
            bytes = done;
        }
        long sentBytes = bytes;
        String stored = sha256(to, key, b -> progress.accept(sentBytes + b), checkpoint);
        if (!stored.equals(expectedSha256)) {
            try {
                to.delete(key);
            } catch (IOException e) {
                // The mismatch is what the caller must hear; the next copy replaces the broken object anyway.
            }
            throw new MismatchException("the copy read back from the destination has SHA-256 " + stored
                    + ", not the recorded " + expectedSha256 + "; it was removed");
        }
        return new Result(bytes, stored, false, replaced);
    }

    private static String sha256(ArchiveStorage storage, String key, LongConsumer progress, Checkpoint checkpoint)
            throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[BUFFER];
        long done = 0;
        try (InputStream in = storage.open(key)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                checkpoint.check();
                md.update(buf, 0, n);
                done += n;
                progress.accept(done);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
