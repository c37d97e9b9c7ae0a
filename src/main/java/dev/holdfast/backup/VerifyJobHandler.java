package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveSource;
import dev.holdfast.archive.ArchiveSummary;
import dev.holdfast.archive.EncryptedArchives;
import dev.holdfast.archive.OffThreadDigestInputStream;
import dev.holdfast.archive.VerificationReport;
import dev.holdfast.crypto.AgeException;
import dev.holdfast.crypto.AgeKeys;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.Progress;
import dev.holdfast.media.MediaReferences;
import dev.holdfast.storage.ArchiveStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Verifies a stored backup: one streaming pass re-reads the archive, checks every entry's SHA-256,
 * the manifest's own checksum and the whole archive's SHA-256 against the catalog, and records the
 * outcome and every failing entry. Safe to repeat, so a vanished worker's verification is retried.
 */
@ApplicationScoped
public class VerifyJobHandler implements JobHandler {
    @Inject
    BackupService backups;

    @Inject
    ArchiveStorage storage;

    @Inject
    ObjectMapper mapper;

    @Inject
    Encryption encryption;

    @Inject
    BackupArchives archives;

    /** A verification's result. */
    public record Outcome(VerificationReport report, String archiveSha256, boolean archiveShaMatches) {
        String describe() {
            StringBuilder sb = new StringBuilder();
            if (!archiveShaMatches) {
                sb.append("archive SHA-256 is ").append(archiveSha256).append(", not the recorded one; ");
            }
            report.failures()
                    .forEach(f -> sb.append(f.entry())
                            .append(": ")
                            .append(f.reason())
                            .append(" (")
                            .append(f.detail())
                            .append("); "));
            return sb.toString().replaceAll("; $", "");
        }
    }

    @Override
    public String type() {
        return BackupService.VERIFY_JOB;
    }

    @Override
    public int maxAttempts() {
        return 3;
    }

    /**
     * Verifies the archive under {@code key} against its manifest and the expected whole-archive SHA-256 (of the
     * stored bytes: for an encrypted archive, of the age file); an encrypted archive is decrypted with {@code keys}.
     */
    static Outcome check(ArchiveStorage storage, String key, String expectedSha, AgeKeys keys) throws IOException {
        return check(storage.open(key), expectedSha, true, keys);
    }

    /**
     * Checks the archive whose stored bytes are read from {@code archive} (closed here), as
     * {@link #check(ArchiveStorage, String, String, AgeKeys)}; {@code decode} false checks stored entry bytes only.
     * An archive that does not decrypt is reported ({@code DECRYPTION_FAILED}), not thrown.
     */
    static Outcome check(InputStream archive, String expectedSha, boolean decode, AgeKeys keys) throws IOException {
        return check(archive, expectedSha, decode, keys, null);
    }

    /**
     * As {@link #check(InputStream, String, boolean, AgeKeys)} right after a write: {@code written} (what was written)
     * spares parsing a manifest read back byte for byte as written ({@link ArchiveReader#verifyWritten}).
     */
    static Outcome check(InputStream archive, String expectedSha, boolean decode, AgeKeys keys, ArchiveSummary written)
            throws IOException {
        VerificationReport report;
        OffThreadDigestInputStream digested = null;
        // Without an expected whole-archive SHA-256 (right after a write) the per-entry checks suffice. With one, the
        // whole-archive digest runs on another thread beside the entry checks (the two would otherwise add up).
        try (InputStream raw = archive;
                InputStream stored = expectedSha == null
                        ? raw
                        : (digested = new OffThreadDigestInputStream(raw, "verify-archive-sha256"))) {
            try {
                InputStream in = EncryptedArchives.plaintext(stored, keys);
                report = written != null
                        ? ArchiveReader.verifyWritten(in, decode, written)
                        : decode ? ArchiveReader.verify(in) : ArchiveReader.verifyStored(in);
                in.transferTo(java.io.OutputStream.nullOutputStream()); // bytes after the end-of-archive blocks count
            } catch (AgeException e) {
                report = new VerificationReport(
                        false,
                        0,
                        0,
                        0,
                        null,
                        List.of(new VerificationReport.Failure(
                                null, VerificationReport.Reason.DECRYPTION_FAILED, e.getMessage())));
            }
            stored.transferTo(java.io.OutputStream.nullOutputStream()); // the whole-archive SHA-256 covers every byte
        }
        if (expectedSha == null) {
            return new Outcome(report, null, true);
        }
        String actual = digested.sha256Hex();
        return new Outcome(report, actual, expectedSha.equals(actual));
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        BackupService.BackupJobPayload p = ctx.payload(BackupService.BackupJobPayload.class);
        Backup b = backups.readOnly(p.backupId());
        ctx.progress(Progress.phase("verify", "Re-reading " + b.storageKey));
        Outcome o;
        ArrayNode failures = mapper.createArrayNode();
        if (!storage.exists(b.storageKey)) {
            failures.addObject()
                    .put("entry", b.storageKey)
                    .put("reason", "MISSING_ARCHIVE")
                    .put("detail", "the archive is not in storage");
            backups.recordVerification(b.id, false, failures);
            throw new IllegalStateException("Archive " + b.storageKey + " of backup " + b.id + " is missing");
        }
        o = check(storage, b.storageKey, b.sha256, encryption.identities());
        for (VerificationReport.Failure f : o.report().failures()) {
            failures.addObject()
                    .put("entry", f.entry())
                    .put("reason", f.reason().name())
                    .put("detail", f.detail());
        }
        if (!o.archiveShaMatches()) {
            failures.addObject()
                    .put("entry", b.storageKey)
                    .put("reason", "ARCHIVE_CHECKSUM_MISMATCH")
                    .put("detail", "SHA-256 is " + o.archiveSha256() + ", catalog says " + b.sha256);
        }
        MediaReferences.Report refs = null;
        if (b.chainLength > 0 && o.report().ok()) {
            // An incremental backup restores only with the contents it refers to: each is read from the archive that
            // holds it and its SHA-256 checked, so that verify says what a restore would need and not find.
            ctx.progress(Progress.phase("verify", "Checking the file contents it refers to in earlier backups"));
            ArchiveReader reader = ArchiveReader.open(
                    EncryptedArchives.plaintext(ArchiveSource.of(storage, b.storageKey), encryption.identities()));
            refs = MediaReferences.check(reader.manifest(), archives.references(), true, ctx::checkpoint);
            for (MediaReferences.Failure f : refs.failures()) {
                failures.addObject()
                        .put("entry", f.entry() == null ? f.holder() : f.holder() + ":" + f.entry())
                        .put("reason", f.reason().name())
                        .put("detail", f.path() + " is stored in backup " + f.holder() + ": " + f.detail());
            }
        }
        boolean ok = failures.isEmpty() && o.report().ok();
        backups.recordVerification(b.id, ok, failures);
        ObjectNode result = mapper.createObjectNode();
        result.put("backup_id", b.id.toString());
        result.put("ok", ok);
        result.put("checked_entries", o.report().checkedEntries());
        result.put("stored_bytes", o.report().storedBytes());
        if (refs != null) {
            result.put("referenced_contents", refs.contents());
            result.put("referenced_bytes", refs.bytes());
        }
        result.set("failures", failures);
        if (!ok) {
            throw new IllegalStateException("Backup " + b.id + " failed verification: " + o.describe());
        }
        return result;
    }
}
