package dev.holdfast.backup;

import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.ArchiveSource;
import dev.holdfast.archive.CorruptArchiveException;
import dev.holdfast.archive.EncryptedArchives;
import dev.holdfast.archive.ReferencedArchives;
import dev.holdfast.storage.ArchiveStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.UUID;

/**
 * Opens stored backups' archives by catalog id for the engines that follow an incremental archive's references
 * (restore, verify, drills): the archive in primary storage, decrypted with the configured identities.
 */
@ApplicationScoped
public class BackupArchives {
    @Inject
    BackupService backups;

    @Inject
    ArchiveStorage storage;

    @Inject
    Encryption encryption;

    /**
     * A fresh {@link ReferencedArchives} (each archive opened once, then shared) for one restore, verification or
     * drill; a backup that is not a SUCCEEDED one of the catalog, or whose archive is missing, is refused by name.
     */
    public ReferencedArchives references() {
        return ReferencedArchives.caching(id -> {
            UUID uuid;
            try {
                uuid = UUID.fromString(id);
            } catch (IllegalArgumentException e) {
                throw new CorruptArchiveException("stored_in '" + id + "' is not a backup id");
            }
            Backup b;
            try {
                b = backups.readOnly(uuid);
            } catch (BackupNotFound e) {
                throw new CorruptArchiveException("backup " + id + ", which holds referenced file contents, is not"
                        + " in the catalog (deleted?)");
            }
            if (b.status != BackupStatus.SUCCEEDED || b.storageKey == null) {
                throw new CorruptArchiveException(
                        "backup " + id + ", which holds referenced file contents, is " + b.status + ", not stored");
            }
            if (!storage.exists(b.storageKey)) {
                throw new CorruptArchiveException("the archive " + b.storageKey + " of backup " + id
                        + ", which holds referenced file contents, is missing from storage");
            }
            return ArchiveReader.open(
                    EncryptedArchives.plaintext(ArchiveSource.of(storage, b.storageKey), encryption.identities()));
        });
    }
}
