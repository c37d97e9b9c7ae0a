package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A job's percent never goes back, also when the parts report from several threads at once. */
class ProgressScaleTest {

    private static Progress at(double percent) {
        return new Progress("copy", percent, null, null, null, null, null, null, "copying");
    }

    @Test
    void aReportScaledFirstIsHandedOnFirst() throws Exception {
        List<Double> seen = new CopyOnWriteArrayList<>();
        CountDownLatch secondReported = new CountDownLatch(1);
        CountDownLatch firstInside = new CountDownLatch(1);
        ProgressScale scale = new ProgressScale(p -> {
            if (p.percent() == 15.0) {
                // The first report lingers downstream; a second thread's later report must not overtake it.
                firstInside.countDown();
                try {
                    secondReported.await(300, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            seen.add(p.percent());
        });
        ProgressSink part = scale.sink(0, 30);

        Thread first = new Thread(() -> part.progress(at(50))); // 15 % of the job
        first.start();
        assertThat(firstInside.await(5, TimeUnit.SECONDS)).isTrue();
        Thread second = new Thread(() -> {
            part.progress(at(60)); // 18 % of the job
            secondReported.countDown();
        });
        second.start();
        first.join();
        second.join();

        assertThat(seen).containsExactly(15.0, 18.0);
    }
}
