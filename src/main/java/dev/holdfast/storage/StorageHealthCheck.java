package dev.holdfast.storage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.OptionalLong;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness: the primary archive storage accepts archives ({@link ArchiveStorage#probe}: a local probe archive
 * written and aborted; for S3 a HeadBucket, which also checks the credentials). The named (copy) storages are probed
 * too and reported in the data, but do not make the service unready: backups still work without them, and their
 * failed copies are visible on the backups and in {@code holdfast_backup_copies_failed}.
 */
@Readiness
@ApplicationScoped
public class StorageHealthCheck implements HealthCheck {
    @Inject
    ArchiveStorage storage;

    @Inject
    Storages storages;

    private static String probe(ArchiveStorage s) {
        try {
            s.probe();
            return "up " + Storages.describe(s);
        } catch (Exception e) {
            return "down " + Storages.describe(s) + ": " + e.getMessage();
        }
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("archive-storage");
        try {
            storage.probe();
            b.up();
            if (storage instanceof S3ArchiveStorage s3) {
                // Adding up a bucket's sizes lists every object: too dear for a probe; the statistics report it.
                b.withData("location", s3.location());
            } else {
                b.withData("used_bytes", storage.usedBytes());
            }
            OptionalLong free = storage.freeBytes();
            free.ifPresent(f -> b.withData("free_bytes", f));
            storages.all().forEach((name, s) -> {
                if (!name.equals(Storages.PRIMARY)) {
                    b.withData("storage." + name, probe(s));
                }
            });
            return b.build();
        } catch (Exception e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
