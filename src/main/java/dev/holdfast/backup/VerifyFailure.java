package dev.holdfast.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One entry that failed a verification, as the catalog keeps it in {@code backup.verify_failures}.
 *
 * @param entry the archive entry (or the archive's storage key, for a missing archive or a whole-archive mismatch)
 * @param reason what failed, e.g. {@code MISSING_ARCHIVE}, {@code ARCHIVE_CHECKSUM_MISMATCH} or a
 *     {@link dev.holdfast.archive.VerificationReport} reason, or for an incremental backup a
 *     {@link dev.holdfast.media.MediaReferences.Reason} (entry then {@code <holder backup id>:<entry>})
 */
@Schema(name = "VerifyFailure", description = "An entry that failed verification")
@JsonIgnoreProperties(ignoreUnknown = true)
public record VerifyFailure(String entry, String reason, String detail) {}
