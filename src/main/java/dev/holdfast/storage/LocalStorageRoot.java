package dev.holdfast.storage;

import dev.holdfast.config.HoldfastConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** The local archive directory: created 0700 on first use, probed by the readiness check. */
@ApplicationScoped
public class LocalStorageRoot {
    @Inject
    HoldfastConfig config;

    /** The root directory, created with mode 0700 if missing. */
    public Path root() throws IOException {
        Path root = Path.of(config.storage().local().root()).toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            Files.createDirectories(root,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return root;
    }

    /** Writes, syncs and deletes a probe file; throws when the storage cannot take an archive. */
    public void probeWritable() throws IOException {
        Path root = root();
        Path probe = Files.createTempFile(root, ".probe-", ".tmp");
        try {
            Files.writeString(probe, "ok");
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** The filesystem holding the root. */
    public FileStore fileStore() throws IOException {
        return Files.getFileStore(root());
    }
}
