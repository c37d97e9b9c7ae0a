package dev.holdfast.storage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: the archive storage accepts writes (a probe archive is written and aborted). */
@Readiness
@ApplicationScoped
public class StorageHealthCheck implements HealthCheck {
    @Inject
    ArchiveStorage storage;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("archive-storage");
        try (WritableArchive probe = storage.create("readiness-probe-"
                + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId())) {
            probe.stream().write("ok".getBytes(StandardCharsets.US_ASCII));
            probe.abort();
            b.up().withData("used_bytes", storage.usedBytes());
            storage.freeBytes().ifPresent(f -> b.withData("free_bytes", f));
            return b.build();
        } catch (Exception e) {
            return b.down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
