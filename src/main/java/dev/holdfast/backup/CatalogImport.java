package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveSource;
import dev.holdfast.archive.ArchiveSummary;
import dev.holdfast.archive.EncryptedArchives;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.VerificationReport;
import dev.holdfast.job.JobContext;
import dev.holdfast.job.Progress;
import dev.holdfast.storage.ArchiveStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Rebuilds catalog rows from the archives in storage, for a catalog that was lost or restored from an older copy.
 * Every archive the catalog lacks is verified whole (every entry's SHA-256, the manifest's) and registered as a
 * SUCCEEDED backup with what its manifest says: name, type, sources, summary, and the catalog facts the backup
 * wrote into it ({@value #MANIFEST_EXTENSION}: description, options, trigger, schedule, creator). Idempotent: a
 * backup the catalog knows is left alone, so a second run adds nothing.
 *
 * <p>Protection is a decision taken after the archive was sealed, so no archive can carry it. Imported backups are
 * therefore protected unless the request says otherwise: after a disaster, retention must not delete the backups
 * it cannot tell apart until someone has looked at them.
 */
@ApplicationScoped
public class CatalogImport {
    private static final Logger LOG = Logger.getLogger(CatalogImport.class);

    /** The manifest extension that carries the catalog's own facts about a backup. */
    public static final String MANIFEST_EXTENSION = "holdfast.catalog";

    /** Archive keys as the service writes them: the backup id, then the archive suffix. */
    private static final Pattern KEY =
            Pattern.compile("([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.tar(\\.[a-z0-9]+)?");

    @Inject
    IncrementalChains chains;

    @Inject
    ArchiveStorage storage;

    @Inject
    ObjectMapper mapper;

    @Inject
    dev.holdfast.time.TimeSource time;

    @Inject
    ScheduleNames schedules;

    @Inject
    Encryption encryption;

    /** What one run found. */
    public record Result(int scanned, List<UUID> imported, int alreadyKnown, List<Failure> failed) {}

    /** An archive that could not be registered, and why. */
    public record Failure(String key, String error) {}

    /** The catalog facts a backup writes into its manifest. */
    static JsonNode catalogFacts(Backup b, String scheduleName, ObjectMapper mapper) {
        ObjectNode n = mapper.createObjectNode();
        n.put("description", b.description);
        n.set("options", b.options);
        n.put("trigger", b.trigger);
        n.put("schedule_id", b.scheduleId == null ? null : b.scheduleId.toString());
        n.put("schedule_name", scheduleName);
        n.put("created_by", b.createdBy);
        n.put("created_at", b.createdAt == null ? null : b.createdAt.toString());
        return n;
    }

    /** Scans the storage and registers every verified archive the catalog lacks. */
    public Result run(JobContext ctx, boolean protect) throws Exception {
        List<String> keys = storage.keys();
        List<UUID> imported = new ArrayList<>();
        List<Failure> failed = new ArrayList<>();
        int known = 0;
        int done = 0;
        // An incremental archive is imported after the archives holding the contents it refers to (older, but keys are
        // in no useful order): deferred, then retried as long as a pass imports something.
        Map<String, HolderNotImported> deferred = new LinkedHashMap<>();
        for (String key : keys) {
            ctx.checkpoint();
            ctx.progress(new Progress(
                    "import",
                    100.0 * done / keys.size(),
                    null,
                    null,
                    (long) done,
                    (long) keys.size(),
                    key,
                    null,
                    "Reading " + key));
            done++;
            Matcher m = KEY.matcher(key);
            if (!m.matches()) {
                failed.add(new Failure(key, "not a Holdfast archive name (<backup id>.tar)"));
                continue;
            }
            UUID id = UUID.fromString(m.group(1));
            if (isKnown(id)) {
                known++;
                continue;
            }
            try {
                register(id, key, protect).ifPresent(imported::add);
            } catch (HolderNotImported e) {
                deferred.put(key, e);
            } catch (IOException | RuntimeException e) {
                LOG.warnf("Archive %s was not imported: %s", key, e.getMessage());
                failed.add(new Failure(key, e.getMessage()));
            }
        }
        boolean progress = true;
        while (progress && !deferred.isEmpty()) {
            progress = false;
            for (String key : List.copyOf(deferred.keySet())) {
                ctx.checkpoint();
                UUID id = UUID.fromString(KEY.matcher(key).replaceAll("$1"));
                try {
                    register(id, key, protect).ifPresent(imported::add);
                    deferred.remove(key);
                    progress = true;
                } catch (HolderNotImported e) {
                    deferred.put(key, e);
                } catch (IOException | RuntimeException e) {
                    deferred.remove(key);
                    failed.add(new Failure(key, e.getMessage()));
                }
            }
        }
        deferred.forEach((key, e) -> failed.add(new Failure(key, e.getMessage())));
        return new Result(keys.size(), imported, known, failed);
    }

    /** An incremental archive refers to a backup that is not (yet) in the catalog. */
    static final class HolderNotImported extends IllegalStateException {
        HolderNotImported(Manifest.Reference r) {
            super("it is an incremental backup whose unchanged files are stored in backup " + r.backupId() + " ("
                    + r.name() + ", " + r.storageKey() + "), which is not in the catalog and could not be imported from"
                    + " this storage; put that archive back and import again");
        }
    }

    @Transactional
    boolean isKnown(UUID id) {
        return Backup.findById(id) != null;
    }

    private Optional<UUID> register(UUID id, String key, boolean protect) throws IOException {
        // An encrypted archive (.tar.age) is read with the configured identities, as verify and restore read it.
        ArchiveReader reader;
        try {
            reader = ArchiveReader.open(
                    EncryptedArchives.plaintext(ArchiveSource.of(storage, key), encryption.identities()));
        } catch (IOException e) {
            throw new IllegalStateException("verification failed: " + e.getMessage(), e);
        }
        Manifest manifest = reader.manifest();
        if (manifest.incremental() != null) {
            for (Manifest.Reference r : manifest.incremental().references()) {
                if (!isKnown(UUID.fromString(r.backupId()))) {
                    throw new HolderNotImported(r); // before the costly verification: it is retried later
                }
            }
        }
        // An expected SHA-256 that matches nothing: check() then reports the archive's own, which is recorded.
        VerifyJobHandler.Outcome check = VerifyJobHandler.check(storage, key, "", encryption.identities());
        if (!check.report().ok()) {
            throw new IllegalStateException("verification failed: " + check.describe());
        }
        String manifestSha = reader.manifestSha256();
        if (!id.toString().equals(manifest.backupId())) {
            throw new IllegalStateException(
                    "the manifest names backup " + manifest.backupId() + ", the key names " + id);
        }
        long size = storage.size(key);
        ArchiveSummary archive = new ArchiveSummary(manifest, manifestSha, check.archiveSha256(), size);
        return insert(id, key, manifest, archive, check.report(), protect);
    }

    @Transactional
    Optional<UUID> insert(
            UUID id, String key, Manifest m, ArchiveSummary archive, VerificationReport report, boolean protect) {
        if (Backup.findById(id) != null) {
            return Optional.empty(); // another import (or instance) got there first
        }
        JsonNode facts = m.extensions().getOrDefault(MANIFEST_EXTENSION, mapper.createObjectNode());
        Backup b = new Backup();
        b.id = id;
        b.name = m.name();
        b.description = text(facts, "description");
        b.backupType = BackupType.fromJson(m.backupType());
        b.status = BackupStatus.SUCCEEDED;
        List<String> dbs =
                m.databases().stream().map(Manifest.DatabaseSection::source).toList();
        List<String> media =
                m.media().stream().map(Manifest.MediaSection::source).toList();
        b.databases = Backup.json(mapper, dbs);
        b.media = Backup.json(mapper, media);
        List<String> all = new ArrayList<>(dbs);
        all.addAll(media);
        b.sourceNames = "," + String.join(",", all) + ",";
        b.options = facts.hasNonNull("options") ? facts.get("options") : mapper.createObjectNode();
        String createdAt = text(facts, "created_at");
        b.createdAt = createdAt != null
                ? java.time.OffsetDateTime.parse(createdAt)
                : m.createdAt().atOffset(ZoneOffset.UTC);
        b.finishedAt = m.createdAt().atOffset(ZoneOffset.UTC);
        b.createdBy = text(facts, "created_by");
        b.trigger = facts.hasNonNull("trigger") ? facts.get("trigger").asText() : "import";
        b.scheduleId = scheduleOf(facts);
        b.storageKey = key;
        b.sizeBytes = archive.archiveBytes();
        b.sha256 = archive.archiveSha256();
        b.manifestSha256 = archive.manifestSha256();
        b.summary = Backup.json(mapper, BackupSummary.of(m, archive.archiveBytes()));
        JsonNode enc = m.extensions().get(BackupRun.ENCRYPTION_EXTENSION);
        b.encryptedTo = enc == null ? null : enc.get("recipients");
        b.protectedFromDeletion = protect;
        b.verifiedAt = time.now().atOffset(ZoneOffset.UTC);
        b.verifyOk = report.ok();
        b.verifyFailures = mapper.createArrayNode();
        b.persist();
        // The file index (so the next incremental backup of a root builds on it) and the references to its holders.
        chains.recordStored(
                b, m, facts.path("options").path("incremental").asBoolean(false), java.util.Map.<String, byte[]>of());
        LOG.infof("Imported backup %s (%s) from %s", id, b.name, key);
        return Optional.of(id);
    }

    /** The backup's schedule if it still exists, else the schedule of the same name (recreated), else none. */
    private UUID scheduleOf(JsonNode facts) {
        String id = text(facts, "schedule_id");
        if (id != null && schedules.nameOf(UUID.fromString(id)) != null) {
            return UUID.fromString(id);
        }
        String name = text(facts, "schedule_name");
        return name == null ? null : schedules.idOf(name);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
