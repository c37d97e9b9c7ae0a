package dev.holdfast.job;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: this instance listens for job events (without it, SSE clients would hang). */
@Readiness
@ApplicationScoped
public class JobQueueHealthCheck implements HealthCheck {
    @Inject
    ProgressBus bus;

    @Inject
    JobWorker worker;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("job-queue")
                .status(bus.listening())
                .withData("instance", String.valueOf(worker.instanceId()))
                .withData("running_here", worker.runningHere())
                .build();
    }
}
