package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.JobHandler;
import dev.holdfast.job.Progress;
import dev.holdfast.storage.ArchiveCopy;
import dev.holdfast.storage.ArchiveStorage;
import dev.holdfast.storage.Storages;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Runs one offsite copy as a job: streams the backup's archive from the primary storage to the named one with
 * {@link ArchiveCopy} (hashed on the way and read back at the destination) and records the outcome. Safe to repeat:
 * a copy already complete at the destination is recognised by its SHA-256.
 */
@ApplicationScoped
public class CopyJobHandler implements JobHandler {
    private static final Logger LOG = Logger.getLogger(CopyJobHandler.class);

    @Inject
    BackupCopies copies;

    @Inject
    Storages storages;

    @Inject
    ObjectMapper mapper;

    @Override
    public String type() {
        return BackupCopies.COPY_JOB;
    }

    @Override
    public int maxAttempts() {
        return 3;
    }

    @Override
    public JsonNode run(JobContext ctx) throws Exception {
        BackupCopies.CopyJobPayload p = ctx.payload(BackupCopies.CopyJobPayload.class);
        BackupCopies.Started s = copies.start(p.copyId());
        ArchiveStorage target = storages.find(s.storage())
                .orElseThrow(() -> new IllegalStateException("Storage '" + s.storage() + "' is not configured"));
        ArchiveStorage primary = storages.primary();
        long size = primary.size(s.key());
        // Two passes over the bytes: the transfer, then the read-back at the destination.
        long total = 2 * size;
        ctx.progress(Progress.phase("copy", "Copying to " + s.storage()));
        ArchiveCopy.Result r = new ArchiveCopy(primary, target)
                .copy(
                        s.key(),
                        s.sha256(),
                        done -> ctx.progress(new Progress(
                                done <= size ? "copy" : "verify",
                                total == 0 ? null : 100.0 * done / total,
                                done,
                                total,
                                null,
                                null,
                                s.key(),
                                null,
                                done <= size
                                        ? "Copying to " + s.storage()
                                        : "Reading the copy back from " + s.storage())),
                        ctx::checkpoint);
        copies.succeed(s.copyId(), r);
        LOG.infof(
                "Backup %s copied to %s: %d bytes, SHA-256 %s checked at the destination%s",
                s.backupId(),
                s.storage(),
                r.bytes(),
                r.sha256(),
                r.alreadyThere() ? " (it was there already)" : r.replacedBroken() ? " (a broken copy replaced)" : "");
        ObjectNode result = mapper.createObjectNode();
        result.put("backup_id", s.backupId().toString());
        result.put("storage", s.storage());
        result.put("size_bytes", r.bytes());
        result.put("sha256", r.sha256());
        result.put("already_there", r.alreadyThere());
        return result;
    }

    @Override
    public void onFailure(JobOutcome outcome) {
        BackupCopies.CopyJobPayload p = mapper.convertValue(outcome.payload(), BackupCopies.CopyJobPayload.class);
        copies.fail(p.copyId(), outcome.error());
    }

    @Override
    public void reconcile() {
        for (Object[] o : copies.orphans()) {
            String why = "Its job ended " + o[1] + (o[2] == null ? "" : ": " + o[2]);
            LOG.warnf("Copy %s was still open after its job ended; recorded FAILED (%s)", o[0], why);
            copies.fail((java.util.UUID) o[0], why);
        }
    }
}
