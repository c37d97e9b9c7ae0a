package dev.holdfast.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.support.TestDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A second, fully independent service instance for tests: its own connections (no pool shared
 * with the app), its own executor, its own worker pool running the production queue code.
 */
public class SecondInstance implements AutoCloseable {
    public final String id;
    public final DataSource dataSource;
    public final JobStore store;
    public final WorkerPool pool;
    private final ExecutorService executor;
    private final ScheduledExecutorService driver = Executors.newSingleThreadScheduledExecutor();

    public SecondInstance(
            String id, ObjectMapper mapper, int concurrency, Function<DataSource, JobHandler[]> handlers) {
        this(id, mapper, concurrency, handlers, null, Duration.ofMinutes(1));
    }

    /** An instance whose stall timeout ({@code null}: none) and stop grace are the test's. */
    public SecondInstance(
            String id,
            ObjectMapper mapper,
            int concurrency,
            Function<DataSource, JobHandler[]> handlers,
            Duration stallTimeout,
            Duration stopGrace) {
        this.id = id;
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(TestDatabase.url(TestDatabase.CATALOG_DB) + "?currentSchema=holdfast");
        ds.setUser(TestDatabase.USER);
        this.dataSource = ds;
        this.executor = Executors.newFixedThreadPool(concurrency);
        this.store = new JobStore(ds, id, mapper);
        Map<String, JobHandler> byType =
                Stream.of(handlers.apply(ds)).collect(Collectors.toMap(JobHandler::type, h -> h));
        this.pool = new WorkerPool(
                store,
                byType,
                executor,
                concurrency,
                Duration.ofSeconds(6),
                Duration.ofMillis(100),
                mapper,
                WorkerPool.Listener.NONE,
                stallTimeout,
                stopGrace);
    }

    /** Starts polling, heart-beating and reaping like a live instance. */
    public SecondInstance start(Duration pollEvery) {
        driver.scheduleWithFixedDelay(pool::poll, 0, pollEvery.toMillis(), TimeUnit.MILLISECONDS);
        driver.scheduleWithFixedDelay(
                () -> {
                    pool.heartbeat();
                    pool.reap();
                },
                500,
                1000,
                TimeUnit.MILLISECONDS);
        return this;
    }

    @Override
    public void close() {
        driver.shutdownNow();
        pool.shutdown(Duration.ofSeconds(5));
        executor.shutdownNow();
    }
}
