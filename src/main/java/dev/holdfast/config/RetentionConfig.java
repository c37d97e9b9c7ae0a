package dev.holdfast.config;

import dev.holdfast.time.Durations;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Retention settings ({@code holdfast.retention.*}): the global policy, which covers every backup that no
 * schedule policy covers, and when retention runs on its own. Durations take 30d, 12h, 2w, 1y or ISO-8601.
 * A group of {@link HoldfastConfig}, reached as {@code config.retention()}.
 */
public interface RetentionConfig {

    /**
     * Whether retention runs on its own: after each successful scheduled backup and every {@link #interval()}.
     * {@code POST /api/retention/apply} works either way.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * Global policy: keep every successful backup younger than this; FAILED and CANCELLED rows older than this are
     * removed (for every scope whose policy has no max_age of its own). The seed's BACKUP_RETENTION_DAYS.
     * {@code 0d} switches the rule off.
     */
    @WithDefault("30d")
    @WithConverter(Durations.ConfigConverter.class)
    Duration maxAge();

    /** Global policy: keep the newest N successful backups of each group. */
    OptionalInt keepLast();

    /** Global policy: keep the newest backup of each of the last N days that have one, per group. */
    OptionalInt keepDaily();

    /** Global policy: keep the newest backup of each of the last N ISO weeks that have one, per group. */
    OptionalInt keepWeekly();

    /** Global policy: keep the newest backup of each of the last N months that have one, per group. */
    OptionalInt keepMonthly();

    /** Global policy: keep the newest backup of each of the last N years that have one, per group. */
    OptionalInt keepYearly();

    /** Global policy: keep every successful backup younger than this. */
    Optional<@WithConverter(Durations.ConfigConverter.class) Duration> keepWithin();

    /** Time zone of the global policy's day, week, month and year buckets (a schedule's policy uses its own zone). */
    @WithDefault("UTC")
    ZoneId timeZone();

    /** How often the whole catalog is swept (global policy and every schedule's policy), once per cluster. */
    @WithDefault("1d")
    @WithConverter(Durations.ConfigConverter.class)
    Duration interval();

    /**
     * How often each instance checks whether the cluster-wide sweep is due (a Quarkus {@code every} value;
     * {@code off} disables the sweep on this instance).
     */
    @WithDefault("1m")
    String checkEvery();

    /**
     * How long the pre-restore backup of a restore is never deleted, counted from the restore's creation, so that the
     * restore can still be rolled back.
     */
    @WithDefault("7d")
    @WithConverter(Durations.ConfigConverter.class)
    Duration keepPreRestoreFor();
}
