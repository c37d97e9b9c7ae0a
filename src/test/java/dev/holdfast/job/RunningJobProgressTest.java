package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A running job's progress is saved on another thread: the job goes on while the catalog is slow, the newest progress
 * wins, what the save learns (a cancellation) still stops the job, and nothing is saved after the job settles.
 */
class RunningJobProgressTest {
    private final ExecutorService saver = Executors.newCachedThreadPool();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<String> saved = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstSaveStarted = new CountDownLatch(1);
    private volatile boolean cancelRequested;

    /** A catalog whose first save hangs until {@link #release} opens. */
    private final JobStore slowCatalog = new JobStore(null, "test", new ObjectMapper()) {
        @Override
        public Optional<Boolean> saveProgress(UUID id, Progress progress) {
            firstSaveStarted.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            saved.add(progress.phase());
            return Optional.of(cancelRequested);
        }
    };

    private final RunningJob job = new RunningJob(
            new JobStore.Claimed(UUID.randomUUID(), "test", null, 1, 1),
            slowCatalog,
            new ObjectMapper(),
            Duration.ofHours(1), // only phase changes are saved here
            saver);

    @AfterEach
    void stop() {
        release.countDown();
        saver.shutdownNow();
    }

    private void awaitFirstSave() {
        try {
            assertThat(firstSaveStarted.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Progress phase(String name) {
        return new Progress(name, null, null, null, null, null, null, null, null);
    }

    @Test
    void theJobGoesOnWhileASaveHangsAndTheNewestProgressIsSavedAfterIt() throws Exception {
        // Reported from another thread with a generous bound: a save on the job's thread would never return.
        CompletableFuture.runAsync(() -> {
                    job.progress(phase("walk"));
                    awaitFirstSave();
                    job.progress(phase("store"));
                    job.progress(phase("manifest"));
                })
                .get(30, TimeUnit.SECONDS);
        assertThat(saved).isEmpty();
        assertThat(job.lastProgress.phase()).isEqualTo("manifest");

        release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> saved.size() >= 2);
        // "store" was replaced by "manifest" before its turn came: progress is a state, not a log.
        assertThat(saved).containsExactly("walk", "manifest");
    }

    @Test
    void aCancellationTheSaveLearnsOfStopsTheJobAtItsNextCheckpoint() throws Exception {
        cancelRequested = true;
        job.progress(phase("walk"));
        awaitFirstSave();
        assertThat(job.stopRequested()).isFalse();
        release.countDown();
        job.settleProgress(Duration.ofSeconds(30));
        assertThat(job.stopRequested()).isTrue();
        assertThatThrownBy(job::checkpoint).isInstanceOf(JobCancelledException.class);
    }

    @Test
    void settlingWaitsForTheSaveUnderWayAndDropsTheRest() throws Exception {
        job.progress(phase("walk"));
        awaitFirstSave();
        job.progress(phase("manifest")); // not saved: the job's end records the last progress itself
        Thread settling = new Thread(() -> job.settleProgress(Duration.ofSeconds(30)));
        settling.start();
        // Released only once settling waits for the save (it has dropped "manifest" by then).
        while (settling.getState() != Thread.State.TIMED_WAITING) {
            assertThat(settling.isAlive())
                    .as("settling returned before the save under way ended")
                    .isTrue();
            Thread.onSpinWait();
        }
        release.countDown();
        settling.join(30_000);
        assertThat(settling.isAlive()).isFalse();
        assertThat(saved).containsExactly("walk");
        Thread.sleep(100); // a save that wrongly went on would land now
        assertThat(saved).containsExactly("walk");
    }
}
