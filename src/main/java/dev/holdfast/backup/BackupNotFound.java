package dev.holdfast.backup;

import dev.holdfast.domain.NotFoundException;
import java.util.UUID;

/** No backup has this id. */
public class BackupNotFound extends NotFoundException {
    public BackupNotFound(UUID id) {
        super("Backup", id);
    }
}
