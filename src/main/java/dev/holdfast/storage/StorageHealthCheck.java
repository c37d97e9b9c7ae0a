package dev.holdfast.storage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.FileStore;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: the archive storage accepts writes. */
@Readiness
@ApplicationScoped
public class StorageHealthCheck implements HealthCheck {
    @Inject
    LocalStorageRoot storage;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("archive-storage");
        try {
            storage.probeWritable();
            FileStore fs = storage.fileStore();
            return b.up()
                    .withData("root", storage.root().toString())
                    .withData("free_bytes", fs.getUsableSpace())
                    .withData("total_bytes", fs.getTotalSpace())
                    .build();
        } catch (Exception e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
