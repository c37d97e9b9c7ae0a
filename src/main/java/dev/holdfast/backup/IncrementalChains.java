package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.Manifest.MediaFile;
import dev.holdfast.media.MediaIndex;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The catalog side of incremental media backups (docs/incremental.md): each successful backup's file index per media
 * root ({@code media_index}), which backups hold the contents another refers to ({@code backup_reference}), the bases
 * a new incremental backup is compared with, and the guard that never lets a holder be deleted while a backup still
 * needs it.
 */
@ApplicationScoped
public class IncrementalChains {
    private static final Logger LOG = Logger.getLogger(IncrementalChains.class);
    private static final int CACHED_INDEXES = 8;

    /**
     * The file indexes this instance recorded last, by backup id and root: the next incremental backup's base is
     * nearly always the backup before it, whose index then need not be read back and parsed (tens of ms for 20,000
     * files). An index never changes once recorded, so a cached one is never stale; the catalog query still decides
     * which backup is the base.
     */
    private final Map<UUID, Map<String, List<MediaFile>>> recent =
            java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<UUID, Map<String, List<MediaFile>>> eldest) {
                    return size() > CACHED_INDEXES;
                }
            });

    @Inject
    Encryption encryption;

    /**
     * Checks the incremental fields of a request and says whether it is incremental.
     *
     * @throws InvalidSelection when they are set on a backup without media roots, or without {@code incremental}
     */
    static boolean checkRequest(BackupRequest req, List<String> media) {
        boolean inc = Boolean.TRUE.equals(req.incremental());
        if (inc && media.isEmpty()) {
            throw new InvalidSelection(
                    "incremental",
                    "the backup covers no media root, so there is nothing to store"
                            + " incrementally (databases are always backed up whole)");
        }
        if (!inc && Boolean.TRUE.equals(req.rehash())) {
            throw new InvalidSelection("rehash", "applies only to an incremental backup (incremental: true)");
        }
        if (!inc && req.fullEvery() != null) {
            throw new InvalidSelection("full_every", "applies only to an incremental backup (incremental: true)");
        }
        return inc;
    }

    /**
     * What the incremental backup {@code b} builds on: per media root the newest other successful backup with an
     * index of it, taken by the API or a schedule (not a restore's pre-restore backup, which retention must stay free
     * to delete), encrypted to the same recipients as this one will be (a person holding this backup's key must be
     * able to read every archive it refers to). Null when nothing qualifies or {@code full_every} says this run starts
     * a new chain: the backup is then self-contained.
     */
    @Transactional
    public dev.holdfast.backup.BackupRun.Incremental basesFor(Backup b, BackupOptions options) {
        if (!options.incremental()) {
            return null;
        }
        EntityManager em = Backup.getEntityManager();
        String recipients = recipientsKey(encryption.fingerprints());
        Map<String, MediaIndex> bases = new LinkedHashMap<>();
        Map<String, Manifest.Reference> holders = new HashMap<>();
        Backup parent = null;
        for (String root : BackupService.names(b.media)) {
            @SuppressWarnings("unchecked")
            List<UUID> rows = em.createNativeQuery("""
                    SELECT x.id FROM holdfast.media_index i JOIN holdfast.backup x ON x.id = i.backup_id
                     WHERE i.source = :root AND x.status = 'SUCCEEDED' AND x.id <> :self
                       AND x.trigger <> 'pre-restore'
                     ORDER BY x.created_at DESC, x.id DESC""")
                    .setParameter("root", root)
                    .setParameter("self", b.id)
                    .setMaxResults(8)
                    .getResultList();
            for (UUID id : rows) {
                Backup base = Backup.findById(id);
                if (!recipients.equals(recipientsKey(fingerprints(base.encryptedTo)))) {
                    continue;
                }
                List<MediaFile> files = index(em, id, root);
                Map<String, Manifest.Reference> needed = holdersOf(base, files);
                if (needed == null) {
                    continue;
                }
                holders.putAll(needed);
                bases.put(
                        root,
                        MediaIndex.of(base.id.toString(), new Manifest.MediaSection(root, files, List.of(), Map.of())));
                if (parent == null || base.createdAt.isAfter(parent.createdAt)) {
                    parent = base;
                }
                break;
            }
        }
        if (parent == null) {
            return null;
        }
        if (options.fullEvery() != null && parent.chainLength + 1 >= options.fullEvery()) {
            LOG.infof(
                    "Backup %s: the chain since the last full backup would reach %d (full_every %d); stored whole",
                    b.id, parent.chainLength + 1, options.fullEvery());
            return null;
        }
        return new BackupRun.Incremental(bases, holders, parent.id.toString(), parent.chainLength, options.rehash());
    }

    /** The holders of an index's contents with their catalog facts; null when one is no longer a stored backup. */
    private static Map<String, Manifest.Reference> holdersOf(Backup base, List<MediaFile> files) {
        Set<String> ids = new TreeSet<>();
        ids.add(base.id.toString());
        files.forEach(f -> {
            if (f.storedIn() != null) {
                ids.add(f.storedIn());
            }
        });
        Map<String, Manifest.Reference> out = new HashMap<>();
        for (String id : ids) {
            Backup h = Backup.findById(UUID.fromString(id));
            if (h == null || h.status != BackupStatus.SUCCEEDED) {
                return null;
            }
            out.put(id, new Manifest.Reference(id, h.name, h.createdAt.toInstant(), h.storageKey, h.sha256, 0, 0));
        }
        return out;
    }

    /**
     * Records, in the caller's transaction (the one that marks the backup SUCCEEDED), the backup's file index per media
     * root, its chain and the holders it refers to. A holder deleted meanwhile fails the insert (its key), and so the
     * backup, rather than letting a backup succeed that cannot be restored.
     */
    void recordStored(Backup b, Manifest m, boolean asked, Map<String, byte[]> encoded) {
        EntityManager em = Backup.getEntityManager();
        em.flush(); // a row persisted in this transaction (a catalog import) must exist for the keys below
        b.incremental = asked;
        Manifest.Incremental inc = m.incremental();
        b.chainLength = inc == null ? 0 : inc.chainLength();
        b.parentBackupId = inc == null || inc.parent() == null || Backup.findById(UUID.fromString(inc.parent())) == null
                ? null
                : UUID.fromString(inc.parent());
        Map<String, List<MediaFile>> cached = new HashMap<>();
        @SuppressWarnings("unchecked")
        List<String> ahead = em.createNativeQuery("SELECT source FROM holdfast.media_index WHERE backup_id = ?1")
                .setParameter(1, b.id)
                .getResultList();
        for (Manifest.MediaSection s : m.media()) {
            cached.put(s.source(), s.files());
            if (ahead.contains(s.source())) {
                continue;
            }
            byte[] data = encoded.get(s.source());
            em.createNativeQuery(
                            "INSERT INTO holdfast.media_index (backup_id, source, files, data) VALUES (?1, ?2, ?3, ?4)")
                    .setParameter(1, b.id)
                    .setParameter(2, s.source())
                    .setParameter(3, s.files().size())
                    .setParameter(4, data != null ? data : MediaIndex.encode(s.files()))
                    .executeUpdate();
        }
        if (!cached.isEmpty()) {
            // Used only once the catalog says this backup SUCCEEDED, i.e. if this transaction commits.
            recent.put(b.id, cached);
        }
        if (inc != null) {
            for (Manifest.Reference r : inc.references()) {
                em.createNativeQuery("""
                        INSERT INTO holdfast.backup_reference (backup_id, holder_id, files, bytes)
                        SELECT ?1, h.id, ?3, ?4 FROM holdfast.backup h WHERE h.id = ?2 AND h.status = 'SUCCEEDED'
                        """)
                        .setParameter(1, b.id)
                        .setParameter(2, UUID.fromString(r.backupId()))
                        .setParameter(3, r.files())
                        .setParameter(4, r.bytes())
                        .executeUpdate();
            }
            Number recorded =
                    (Number) em.createNativeQuery("SELECT count(*) FROM holdfast.backup_reference WHERE backup_id = ?1")
                            .setParameter(1, b.id)
                            .getSingleResult();
            if (recorded.intValue() != inc.references().size()) {
                throw new IllegalStateException(
                        "Backup " + b.id + " refers to " + inc.references().size()
                                + " backup(s) holding its unchanged files, but only " + recorded
                                + " of them are still stored; it cannot be restored on its own and was not kept");
            }
        }
    }

    /**
     * Records a running backup's file indexes in a transaction of their own, while its archive is still being checked
     * ({@link BackupRun#indexesAhead}). They count for nothing until the backup is SUCCEEDED (every reader joins on
     * that status); {@link #recordStored} then skips them, and {@link #forgetIndexes} removes them if it fails. The row
     * lock orders this with a concurrent failure: whichever comes second sees the other's outcome (a failure first
     * leaves the status no longer RUNNING, so nothing is inserted), and no index outlives a failed backup.
     */
    @Transactional
    public void recordIndexesAhead(UUID backupId, List<Manifest.MediaSection> sections, Map<String, byte[]> byRoot) {
        EntityManager em = Backup.getEntityManager();
        sections.forEach(s -> em.createNativeQuery("""
                        INSERT INTO holdfast.media_index (backup_id, source, files, data)
                        SELECT ?1, ?2, ?3, ?4 FROM holdfast.backup b WHERE b.id = ?1 AND b.status = 'RUNNING'
                        FOR SHARE OF b
                        ON CONFLICT (backup_id, source) DO NOTHING""")
                .setParameter(1, backupId)
                .setParameter(2, s.source())
                .setParameter(3, s.files().size())
                .setParameter(4, byRoot.get(s.source()))
                .executeUpdate());
    }

    /** Removes the file indexes of a backup that did not succeed, in the caller's transaction. */
    void forgetIndexes(UUID backupId) {
        Backup.getEntityManager()
                .createNativeQuery("DELETE FROM holdfast.media_index WHERE backup_id = ?1")
                .setParameter(1, backupId)
                .executeUpdate();
    }

    /** A backup that refers to another's contents. */
    public record Dependent(UUID id, String name, OffsetDateTime createdAt, long files, long bytes) {}

    /** The backups whose manifests refer to contents that {@code holder}'s archive holds, newest first. */
    @Transactional
    public List<Dependent> dependentsOf(UUID holder) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = Backup.getEntityManager()
                .createNativeQuery("""
                SELECT b.id, b.name, b.created_at, r.files, r.bytes
                  FROM holdfast.backup_reference r JOIN holdfast.backup b ON b.id = r.backup_id
                 WHERE r.holder_id = ?1 ORDER BY b.created_at DESC, b.id DESC""")
                .setParameter(1, holder)
                .getResultList();
        List<Dependent> out = new ArrayList<>();
        for (Object[] r : rows) {
            out.add(new Dependent(
                    (UUID) r[0],
                    (String) r[1],
                    r[2] instanceof OffsetDateTime o
                            ? o
                            : ((java.time.Instant) r[2]).atOffset(java.time.ZoneOffset.UTC),
                    ((Number) r[3]).longValue(),
                    ((Number) r[4]).longValue()));
        }
        return out;
    }

    /** The backups whose manifests refer to contents {@code holder}'s archive holds, newest first. */
    @Transactional
    public List<UUID> referringTo(UUID holder) {
        return dependentsOf(holder).stream().map(Dependent::id).toList();
    }

    /** For each of {@code holders}, the backups referring to its contents (one query for a page of backups). */
    @Transactional
    public Map<UUID, List<UUID>> referringTo(List<UUID> holders) {
        return pairs("holder_id", "backup_id", holders);
    }

    /** For each of {@code ids}, the backups holding contents it refers to (one query for a page of backups). */
    @Transactional
    public Map<UUID, List<UUID>> holdersOf(List<UUID> ids) {
        return pairs("backup_id", "holder_id", ids);
    }

    /** {@code backup_reference} rows whose {@code key} is one of {@code ids}: key to values, newest referrer first. */
    private static Map<UUID, List<UUID>> pairs(String key, String value, List<UUID> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        List<Object[]> rows = Backup.getEntityManager()
                .createNativeQuery("SELECT r." + key + ", r." + value + " FROM holdfast.backup_reference r"
                        + " JOIN holdfast.backup b ON b.id = r.backup_id WHERE r." + key + " IN (?1)"
                        + " ORDER BY b.created_at DESC, b.id DESC, r.holder_id")
                .setParameter(1, ids)
                .getResultList();
        Map<UUID, List<UUID>> out = new HashMap<>();
        for (Object[] r : rows) {
            out.computeIfAbsent((UUID) r[0], k -> new ArrayList<>()).add((UUID) r[1]);
        }
        return out;
    }

    /** The backups that hold contents {@code id}'s manifest refers to (none for a self-contained backup). */
    @Transactional
    public List<UUID> holdersOf(UUID id) {
        @SuppressWarnings("unchecked")
        List<UUID> rows = Backup.getEntityManager()
                .createNativeQuery("SELECT holder_id FROM holdfast.backup_reference WHERE backup_id = ?1 ORDER BY 1")
                .setParameter(1, id)
                .getResultList();
        return rows;
    }

    /**
     * Deletes backup {@code id} unless another backup still refers to contents its archive holds: with its row locked
     * (so that no backup recording a reference to it can commit meanwhile: the reference's key waits on the lock and
     * then fails), checks for dependents, runs {@code removeArchives} and deletes the row.
     *
     * @throws BackupInUse naming the backups that refer to it
     */
    @Transactional
    void deleteUnlessReferenced(UUID id, Runnable removeArchives) {
        Backup b = Backup.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (b == null) {
            throw new BackupNotFound(id);
        }
        List<Dependent> deps = dependentsOf(id);
        if (!deps.isEmpty()) {
            throw new BackupInUse(refusal(id, deps));
        }
        removeArchives.run();
        Backup.deleteById(id);
    }

    /** Why a holder cannot be deleted, naming up to five of the backups that need it. */
    static String refusal(UUID id, List<Dependent> deps) {
        StringBuilder sb = new StringBuilder("Backup " + id + " holds file contents that " + deps.size()
                + " incremental backup(s) still refer to: ");
        for (int i = 0; i < Math.min(5, deps.size()); i++) {
            Dependent d = deps.get(i);
            sb.append(i == 0 ? "" : ", ")
                    .append(d.name())
                    .append(" (")
                    .append(d.id())
                    .append(", ")
                    .append(d.files())
                    .append(" files)");
        }
        if (deps.size() > 5) {
            sb.append(" and ").append(deps.size() - 5).append(" more");
        }
        return sb.append("; delete those first, newest first").toString();
    }

    /** The file index of {@code root} as backup {@code id} recorded it: from this instance's cache, else the catalog. */
    private List<MediaFile> index(EntityManager em, UUID id, String root) {
        Map<String, List<MediaFile>> cached = recent.get(id);
        if (cached != null && cached.containsKey(root)) {
            return cached.get(root);
        }
        byte[] data = (byte[])
                em.createNativeQuery("SELECT data FROM holdfast.media_index WHERE backup_id = ?1 AND source = ?2")
                        .setParameter(1, id)
                        .setParameter(2, root)
                        .getSingleResult();
        return MediaIndex.decode(data);
    }

    private static List<String> fingerprints(JsonNode arr) {
        List<String> out = new ArrayList<>();
        if (arr != null) {
            arr.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static String recipientsKey(List<String> fingerprints) {
        return String.join(",", new TreeSet<>(fingerprints));
    }
}
