package dev.holdfast.config;

import io.smallrye.config.WithDefault;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of restore drills ({@code holdfast.drills.*}); a group of {@link HoldfastConfig}, reached as
 * {@code config.drills()}.
 */
public interface DrillConfig {

    /**
     * The start of every scratch database's name. A scratch database is {@code <prefix><32 hex digits of the
     * drill's id>__hfdrill}, created on the drilled source's server and dropped when the drill ends (or, after a
     * killed service, by the sweep at the next start); the sweep only ever drops databases named exactly so, and a
     * drill is refused when a configured source's database would match that shape. Lower case letters, digits and
     * underscores, at most 20 characters.
     */
    @WithDefault("holdfast_drill_")
    String scratchPrefix();

    /**
     * Where drills restore media roots: each drill's tree goes to {@code <scratch-dir>/<its scratch database's
     * name>/<media source>} and is removed when the drill ends (after a killed service, by the sweep at the next
     * start). Default {@code holdfast-drills} in the JVM's temporary directory. It may never be a configured media
     * root, inside one or hold one: the service refuses to start, and a drill to run, when it is.
     */
    Optional<String> scratchDir();

    /**
     * User checks per database source, run in the scratch database after the restore:
     * {@code holdfast.drills.checks.<source>.<check>.sql} is a query returning one value, and
     * {@code ...expected} the text it must return (default {@code true}, i.e. the query is a condition such as
     * {@code select count(*) > 0 from auth_user}). A check whose value differs, or whose query fails, fails the
     * drill.
     */
    Map<String, Map<String, Check>> checks();

    /**
     * A database source whose newest successful drill is older than this (or that never had one) makes the alert
     * {@code HoldfastDrillOverdue} fire: exported as {@code holdfast_drill_alert_after_seconds{source}} for every
     * configured source, which the alert compares with
     * {@code holdfast_drill_last_success_timestamp_seconds}. A weekly drill plus a day of slack by default;
     * {@code off} exports no threshold, so the alert never fires. Durations as {@code 8d}, {@code 36h} or ISO-8601.
     */
    @WithDefault("8d")
    String alertAfter();

    /**
     * Drills on their own cron, per source: {@code holdfast.drills.schedule."<source>".cron} (five-field Unix
     * cron), {@code ...time-zone} (IANA zone the cron and the window are read in, default {@code UTC}) and
     * {@code ...window} (optional {@code HH:MM-HH:MM}, may wrap midnight: a drill falling due outside it waits
     * for its next start). Each firing queues one drill of the source's latest successful backup, once across
     * all instances (the same claim as backup schedules, on instances whose {@code holdfast.schedules.enabled}
     * is true, at their {@code holdfast.schedules.tick-interval}). Every instance must configure the same
     * drill schedules: the one that starts last writes them to the catalog.
     */
    Map<String, DrillSchedule> schedule();

    /**
     * Where a source's drills create their scratch database, instead of the source's own server (the default):
     * {@code holdfast.drills.server."<source>".jdbc-url} (any database on the drill server, e.g.
     * {@code jdbc:postgresql://drills:5432/postgres}), {@code ...username}, {@code ...password}. A separate drill
     * server keeps a drill's load off production. Its user needs {@code CREATEDB}; its PostgreSQL major must be at
     * least the source's; two drills never run at once on it, and the sweep after a killed service looks there too.
     */
    Map<String, DrillServer> server();

    /** A drill server: the connection drills of one source use to create, fill, check and drop scratch databases. */
    interface DrillServer {
        /** JDBC URL of any database on the drill server (the scratch database's name replaces it). */
        String jdbcUrl();

        /** User on the drill server; needs CREATEDB. */
        Optional<String> username();

        /** Its password; never logged, returned or put in a message. */
        Optional<String> password();
    }

    /** The cron of one source's drills. */
    interface DrillSchedule {
        /** Five-field Unix cron expression, e.g. {@code 30 3 * * 0} (Sundays at 03:30). */
        String cron();

        /** IANA time zone the cron expression and the window are read in. */
        @WithDefault("UTC")
        String timeZone();

        /** Wall-clock window {@code HH:MM-HH:MM} drills may start in; none: any time. */
        Optional<String> window();
    }

    /** One user check. */
    interface Check {
        /** The query; its first column of its first row is compared. */
        String sql();

        /** The expected value as text (the value cast to text, so booleans are {@code true} and {@code false}). */
        Optional<String> expected();
    }
}
