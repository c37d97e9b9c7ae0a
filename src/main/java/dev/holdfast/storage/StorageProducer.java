package dev.holdfast.storage;

import dev.holdfast.config.HoldfastConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/** Provides the configured archive storage (local filesystem today) and tidies it at start-up. */
@ApplicationScoped
public class StorageProducer {
    private static final Logger LOG = Logger.getLogger(StorageProducer.class);

    @Produces
    @Singleton
    @Startup
    ArchiveStorage storage(HoldfastConfig config) {
        try {
            LocalArchiveStorage storage = new LocalArchiveStorage(
                    Path.of(config.storage().local().root()), config.archive().fileMode());
            int removed = storage.cleanupStaleTemps();
            if (removed > 0) {
                LOG.infof("Removed %d stale partial archive(s) from %s", removed, storage.root());
            }
            return storage;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Archive storage " + config.storage().local().root() + " is unusable", e);
        }
    }
}
