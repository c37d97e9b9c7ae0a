package dev.holdfast.config;

import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Settings of the operations metrics and the backups health group ({@code holdfast.monitoring.*}); a group of
 * {@link HoldfastConfig}, reached as {@code config.monitoring()}.
 */
public interface MonitoringConfig {

    /**
     * How often the catalog-derived gauges (last success and failure timestamps, sizes, storage, schedule
     * thresholds) are re-read from the catalog. They are read from the database so that every instance exports
     * the same cluster-wide values and a restart loses nothing.
     */
    @WithDefault("30s")
    Duration refreshInterval();

    /**
     * The {@code backups} health group ({@code /q/health/group/backups}) is DOWN when the archive storage has less
     * than this percentage of its capacity free.
     */
    @WithDefault("10")
    double storageMinFreePercent();

    /** The {@code backups} health group is also DOWN when fewer than this many bytes are free (0: no byte limit). */
    @WithDefault("0")
    long storageMinFreeBytes();
}
