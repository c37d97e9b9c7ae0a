package dev.holdfast.archive;

/**
 * The result of a finished archive: what the catalog records about it.
 *
 * @param manifest the manifest as written, entries included
 * @param manifestSha256 hex SHA-256 of the {@code manifest.json} bytes
 * @param archiveSha256 hex SHA-256 of the whole archive stream
 * @param archiveBytes total bytes of the archive
 */
public record ArchiveSummary(Manifest manifest, String manifestSha256, String archiveSha256, long archiveBytes) {

    /** The same summary with the whole archive's SHA-256 (hex), computed elsewhere. */
    public ArchiveSummary withArchiveSha256(String sha256) {
        return new ArchiveSummary(manifest, manifestSha256, sha256, archiveBytes);
    }
}
