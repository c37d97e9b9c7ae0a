package dev.holdfast.backup;

import dev.holdfast.job.JobService;
import dev.holdfast.storage.ArchiveCopy;
import dev.holdfast.storage.Storages;
import dev.holdfast.time.TimeSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The offsite copies of backups in the catalog: asks for them (with a backup, from a schedule, or later through the
 * API), queues one copy job per backup and storage, and records how each went; the {@link CopyJobHandler} does the
 * copying with {@link ArchiveCopy}.
 */
@ApplicationScoped
public class BackupCopies {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(BackupCopies.class);

    static final String COPY_JOB = "backup-copy";

    /** Payload of a copy job. */
    public record CopyJobPayload(UUID copyId) {}

    /** A copy being run: where from and to, and the bytes it must equal. */
    record Started(UUID copyId, UUID backupId, String storage, String key, String sha256) {}

    @Inject
    IncrementalChains chains;

    @Inject
    Storages storages;

    @Inject
    JobService jobs;

    @Inject
    TimeSource time;

    /**
     * Checks the storage names a request asks copies to, as the API field {@code field}; returns them without
     * duplicates.
     */
    List<String> checkTargets(String field, List<String> names) {
        if (names == null || names.isEmpty()) {
            return List.of();
        }
        List<dev.holdfast.domain.Violation> bad = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String problem = problemWith(names.get(i));
            if (problem != null) {
                bad.add(new dev.holdfast.domain.Violation(field + "[" + i + "]", problem));
            }
        }
        if (!bad.isEmpty()) {
            throw new InvalidSelection(bad);
        }
        return List.copyOf(new java.util.LinkedHashSet<>(names));
    }

    private String problemWith(String name) {
        if (name == null || name.isBlank()) {
            return "is required: the name of a storage to copy to, one of " + copyTargets();
        }
        if (Storages.PRIMARY.equals(name)) {
            return "'default' is the primary storage, where every backup is written; name a storage to copy to";
        }
        if (storages.find(name).isEmpty()) {
            return "unknown storage '" + name + "'; configured for copies: " + copyTargets()
                    + " (holdfast.storage.\"<name>\".*)";
        }
        return null;
    }

    /** The storages a backup can be copied to. */
    public List<String> copyTargets() {
        return storages.names().stream()
                .filter(n -> !n.equals(Storages.PRIMARY))
                .toList();
    }

    /**
     * Queues a copy of a just stored backup to each storage; joins the caller's transaction (the one that records
     * the backup SUCCEEDED), so a stored backup never lacks the copies it asked for.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    void queueAll(Backup b, List<String> targets) {
        for (String storage : targets) {
            if (storages.find(storage).isEmpty()) {
                // Removed from the configuration since the backup was asked for: recorded as a failed copy, visibly.
                BackupCopy c = newCopy(b, storage, b.createdBy);
                c.status = BackupCopy.Status.FAILED;
                c.error = "Storage '" + storage + "' is not configured (any more)";
                c.finishedAt = c.requestedAt;
                c.persist();
                continue;
            }
            queue(b, storage, b.createdBy);
        }
    }

    /**
     * Queues a copy of a stored backup to {@code storage}, or again after a failed or lost one; refuses when one is
     * queued or running. Returns the copy's job id.
     */
    @Transactional
    public UUID request(UUID backupId, String storage, String user) {
        String problem = problemWith(storage);
        if (problem != null) {
            throw new InvalidSelection("storage", problem);
        }
        Backup b = Backup.findById(backupId, LockModeType.PESSIMISTIC_WRITE);
        if (b == null) {
            throw new BackupNotFound(backupId);
        }
        if (b.status != BackupStatus.SUCCEEDED) {
            throw new BackupNotStored(
                    "Backup " + backupId + " is " + b.status + "; only a SUCCEEDED backup has an archive to copy");
        }
        BackupCopy existing = find(backupId, storage);
        if (existing != null) {
            if (existing.status == BackupCopy.Status.QUEUED || existing.status == BackupCopy.Status.RUNNING) {
                throw new BackupInUse("A copy of backup " + backupId + " to '" + storage + "' is already "
                        + existing.status + " (job " + existing.jobId + ")");
            }
            existing.delete();
            BackupCopy.getEntityManager().flush();
        }
        return queue(b, storage, user).jobId;
    }

    private BackupCopy queue(Backup b, String storage, String user) {
        BackupCopy c = newCopy(b, storage, user);
        c.status = BackupCopy.Status.QUEUED;
        c.jobId = jobs.enqueue(COPY_JOB, new CopyJobPayload(c.id), "copy:" + b.id + ":" + storage, user).id;
        c.persist();
        // An incremental backup's copy restores only beside copies of the backups that hold the contents it refers
        // to: those are queued too, unless already there or on their way (docs/incremental.md, "Copies").
        for (UUID holder : chains.holdersOf(b.id)) {
            BackupCopy there = find(holder, storage);
            Backup h = Backup.findById(holder);
            if (h != null
                    && h.status == BackupStatus.SUCCEEDED
                    && (there == null || there.status == BackupCopy.Status.FAILED)) {
                if (there != null) {
                    there.delete();
                    BackupCopy.getEntityManager().flush();
                }
                queue(h, storage, user);
            }
        }
        return c;
    }

    private BackupCopy newCopy(Backup b, String storage, String user) {
        BackupCopy c = new BackupCopy();
        c.id = UUID.randomUUID();
        c.backupId = b.id;
        c.storage = storage;
        c.storageKey = b.storageKey;
        c.requestedAt = now();
        c.requestedBy = user;
        return c;
    }

    /** Marks the copy RUNNING (again, after a vanished worker) and says what to copy. */
    @Transactional
    Started start(UUID copyId) {
        BackupCopy c = BackupCopy.findById(copyId, LockModeType.PESSIMISTIC_WRITE);
        if (c == null) {
            throw new IllegalStateException("Copy " + copyId + " is gone: its backup was deleted");
        }
        if (c.status != BackupCopy.Status.QUEUED && c.status != BackupCopy.Status.RUNNING) {
            throw new IllegalStateException("Copy " + copyId + " is " + c.status + "; it was not started");
        }
        Backup b = Backup.findById(c.backupId);
        if (b == null || b.status != BackupStatus.SUCCEEDED || b.sha256 == null) {
            throw new IllegalStateException("Backup " + c.backupId + " has no stored archive to copy");
        }
        c.status = BackupCopy.Status.RUNNING;
        c.startedAt = now();
        c.error = null;
        return new Started(c.id, b.id, c.storage, c.storageKey, b.sha256);
    }

    /** Records a proven copy. */
    @Transactional
    void succeed(UUID copyId, ArchiveCopy.Result r) {
        BackupCopy c = BackupCopy.findById(copyId, LockModeType.PESSIMISTIC_WRITE);
        if (c == null) {
            return; // its backup was deleted meanwhile; the delete removes what it finds in the storage
        }
        c.status = BackupCopy.Status.SUCCEEDED;
        c.sizeBytes = r.bytes();
        c.sha256 = r.sha256();
        c.finishedAt = now();
        c.error = null;
    }

    /** Records a failed copy (also a cancelled one: the backup lacks the copy either way). */
    @Transactional
    void fail(UUID copyId, String error) {
        BackupCopy c = BackupCopy.findById(copyId, LockModeType.PESSIMISTIC_WRITE);
        if (c == null || c.status == BackupCopy.Status.SUCCEEDED || c.status == BackupCopy.Status.FAILED) {
            return;
        }
        c.status = BackupCopy.Status.FAILED;
        c.error = error == null ? "Copy failed" : error;
        c.finishedAt = now();
    }

    /** Copies still queued or running whose job has ended (a reaped or cancelled job), with how it ended. */
    @Transactional
    List<Object[]> orphans() {
        @SuppressWarnings("unchecked")
        List<Object[]> rows =
                BackupCopy.getEntityManager().createNativeQuery("""
                SELECT c.id, j.state, j.error FROM holdfast.backup_copy c JOIN holdfast.job j ON j.id = c.job_id
                 WHERE c.status IN ('QUEUED', 'RUNNING') AND j.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
                """).getResultList();
        return rows;
    }

    /**
     * Removes the copied archive of backup {@code id} from its named storage (a deletion of the backup); a storage no
     * longer configured is skipped with a warning, since there is nothing left to reach it with.
     */
    void deleteStored(UUID id, BackupCopy c) {
        java.util.Optional<dev.holdfast.storage.ArchiveStorage> target = storages.find(c.storage);
        if (target.isEmpty()) {
            LOG.warnf(
                    "Backup %s: storage '%s' is no longer configured; its copy there (%s), if any, was left in place",
                    id, c.storage, c.storageKey);
            return;
        }
        try {
            target.get().delete(c.storageKey);
            target.get().discardPartial(c.storageKey);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "Could not delete the copy of backup " + id + " in storage '" + c.storage + "'", e);
        }
    }

    /** The copies of one backup, by storage name. */
    @Transactional
    public List<BackupCopy> of(UUID backupId) {
        return BackupCopy.list("backupId = ?1 order by storage", backupId);
    }

    /** The copies of several backups (one query, for a page of the list). */
    @Transactional
    Map<UUID, List<BackupCopy>> of(Collection<UUID> backupIds) {
        Map<UUID, List<BackupCopy>> out = new HashMap<>();
        if (backupIds.isEmpty()) {
            return out;
        }
        List<BackupCopy> all = BackupCopy.list("backupId in ?1 order by storage", backupIds);
        for (BackupCopy c : all) {
            out.computeIfAbsent(c.backupId, k -> new ArrayList<>()).add(c);
        }
        return out;
    }

    /** The successful copies in one storage. */
    @Transactional
    public List<BackupCopy> succeededIn(String storage) {
        return BackupCopy.list("storage = ?1 and status = ?2", storage, BackupCopy.Status.SUCCEEDED);
    }

    /**
     * Removes a successful copy from its storage and from the backup (copy retention): the archive there first,
     * then the record. Returns false when the copy is no longer a successful one (deleted or asked again meanwhile).
     */
    public boolean forget(UUID copyId) throws java.io.IOException {
        BackupCopy c = findCopy(copyId);
        if (c == null || c.status != BackupCopy.Status.SUCCEEDED) {
            return false;
        }
        dev.holdfast.storage.ArchiveStorage target = storages.find(c.storage)
                .orElseThrow(() -> new IllegalStateException("Storage '" + c.storage + "' is not configured"));
        target.delete(c.storageKey);
        return deleteRecord(copyId);
    }

    @Transactional
    BackupCopy findCopy(UUID copyId) {
        return BackupCopy.findById(copyId);
    }

    @Transactional
    boolean deleteRecord(UUID copyId) {
        return BackupCopy.deleteById(copyId);
    }

    private static BackupCopy find(UUID backupId, String storage) {
        return BackupCopy.find("backupId = ?1 and storage = ?2", backupId, storage)
                .firstResult();
    }

    private OffsetDateTime now() {
        return time.now().atOffset(ZoneOffset.UTC);
    }
}
