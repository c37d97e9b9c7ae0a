package dev.holdfast.archive;

import java.util.List;

/**
 * The outcome of re-reading an archive against its manifest: sound only when {@code failures} is empty.
 *
 * @param ok true when every entry matched and the structure is intact
 * @param checkedEntries entries whose bytes were read and compared
 * @param storedBytes stored bytes read
 * @param rawBytes decompressed bytes checked
 * @param manifestSha256 hex SHA-256 of the manifest bytes found, or null when there was none
 * @param failures what is wrong, each naming an entry where one is concerned
 */
public record VerificationReport(
        boolean ok,
        int checkedEntries,
        long storedBytes,
        long rawBytes,
        String manifestSha256,
        List<Failure> failures) {

    public VerificationReport {
        failures = List.copyOf(failures);
    }

    /** What kind of damage a failure is. */
    public enum Reason {
        /** The stored or raw bytes do not have the SHA-256 the manifest records. */
        CHECKSUM_MISMATCH,
        /** The stored or raw size differs from the manifest. */
        SIZE_MISMATCH,
        /** The manifest lists an entry the archive does not hold. */
        MISSING_ENTRY,
        /** The archive holds an entry the manifest does not list. */
        UNEXPECTED_ENTRY,
        /** An entry name appears twice. */
        DUPLICATE_ENTRY,
        /** The compressed bytes do not decode with the entry's codec. */
        CORRUPT_COMPRESSED_STREAM,
        /** {@code manifest.json} does not match {@code manifest.json.sha256}, or either is missing. */
        MANIFEST_CHECKSUM_MISMATCH,
        /** {@code manifest.json} cannot be parsed or has an unknown format version. */
        INVALID_MANIFEST,
        /** The tar structure is damaged: header checksum, padding, end marker, truncation. */
        CORRUPT_TAR,
        /** An entry name that could escape an extraction directory. */
        UNSAFE_ENTRY_NAME,
        /** An entry is not where the manifest says (its offset). */
        OFFSET_MISMATCH,
        /**
         * The archive is encrypted (age) and cannot be decrypted: no configured identity opens it, or the encrypted
         * stream is damaged, truncated or reordered (every chunk is authenticated, so any changed byte ends here).
         */
        DECRYPTION_FAILED
    }

    /**
     * One problem.
     *
     * @param entry the entry concerned, or null when it is about the archive as a whole
     * @param reason the kind of problem
     * @param detail a human explanation with offsets and values
     */
    public record Failure(String entry, Reason reason, String detail) {
        @Override
        public String toString() {
            return reason + (entry == null ? "" : " [" + entry + "]") + ": " + detail;
        }
    }
}
