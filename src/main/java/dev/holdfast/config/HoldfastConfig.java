package dev.holdfast.config;

import dev.holdfast.time.Durations;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@code holdfast.*} configuration key, typed and documented; each is also settable as an
 * environment variable ({@code holdfast.jobs.concurrency} is {@code HOLDFAST_JOBS_CONCURRENCY}). This is the one
 * configuration root: larger groups have files of their own in this package ({@link NotificationConfig},
 * {@link RetentionConfig}, {@link ScheduleConfig}, {@link MonitoringConfig}), and {@link ConfigGroups} offers
 * each group as a bean of its own so a feature injects only what it reads.
 */
@ConfigMapping(prefix = "holdfast")
public interface HoldfastConfig {

    /** The durable job queue. */
    Jobs jobs();

    /** Where archives are stored. */
    Storage storage();

    /** REST API limits. */
    Api api();

    /** Archive format settings. */
    Archive archive();

    /** Encryption at rest in the age format ({@code holdfast.encryption.*}). */
    EncryptionConfig encryption();

    /** How table data is read. */
    Copy copy();

    /** Restore targets and housekeeping. */
    Restore restore();

    /** Restore drills: scratch targets and user checks per source ({@code holdfast.drills.*}). */
    DrillConfig drills();

    /** PostgreSQL client tools. */
    Pg pg();

    /** Security switches beyond what {@code quarkus.oidc.*} configures. */
    Security security();

    /** Who hears about backups, restores and failed verifications ({@code holdfast.notifications.*}). */
    NotificationConfig notifications();

    /** The global retention policy and when retention runs ({@code holdfast.retention.*}). */
    RetentionConfig retention();

    /** How this instance fires backup schedules ({@code holdfast.schedules.*}). */
    ScheduleConfig schedules();

    /** Operations metrics and the backups health group ({@code holdfast.monitoring.*}). */
    MonitoringConfig monitoring();

    /**
     * Databases that can be backed up, by source name. When none is configured the service's own
     * datasource is offered as the source {@code default}.
     */
    Map<String, Database> databases();

    /** Media roots (directory trees of uploaded files) that can be backed up, by source name. */
    Map<String, Media> media();

    /**
     * Settings per source that hold for database sources and media roots alike (and for the implicit source
     * {@code default}), by source name, e.g. {@code holdfast.sources."app".objectives.rpo=26h}. They sit beside
     * {@code holdfast.databases} and {@code holdfast.media} rather than in them because a source's recovery
     * objectives are the business's promise about the source, whatever kind it is. A name that is not a configured
     * source stops the start.
     */
    Map<String, SourceSettings> sources();

    /** Job queue settings. */
    interface Jobs {
        /** How many jobs this instance runs at once. Other instances add their own. */
        @WithDefault("2")
        int concurrency();

        /** How often an idle worker looks for queued work (a NOTIFY also wakes it at once). */
        @WithDefault("1s")
        Duration pollInterval();

        /**
         * How long a claimed job stays owned without a heartbeat. When it expires (the instance died),
         * another instance fails the job with a clear reason or re-queues it if its type is safe to retry.
         */
        @WithDefault("30s")
        Duration lease();

        /** How often a running job's lease is renewed; must be well below {@link #lease()}. */
        @WithDefault("5s")
        Duration heartbeatInterval();

        /** Minimum interval between two persisted progress updates of one job (others are coalesced). */
        @WithDefault("250ms")
        Duration progressInterval();

        /**
         * A running job that goes this long without reaching a checkpoint or reporting progress is stopped as
         * stuck ({@code off}: never). Engines check in for every buffer of data they move, so only a single
         * server statement running longer than this (an index build on a huge table during a restore) comes
         * near it; raise it for such databases.
         */
        @WithDefault("2h")
        String stallTimeout();

        /**
         * A running job whose progress has not moved for this long is reported stalled, not stopped: an SSE event
         * {@code stalled} on its stream, {@code stall} on the job, the gauge {@code holdfast_jobs_stalled}, the alert
         * {@code HoldfastJobStalled} and a notification, each saying which lock its database sessions wait for and
         * which session holds it, or that none waits ("Holdfast's own stall"). Moving means a progress counter
         * (bytes, rows, items), the phase or the current item changed, however slowly; checkpoints alone do not
         * count. The default for every job type; {@link #types()} sets one per type. {@code off}: never. Keep it
         * below {@link #stallTimeout()}, the hard stop.
         */
        @WithDefault("10m")
        String stallWarning();

        /**
         * Settings per job type ({@code backup}, {@code restore}, {@code verify}, {@code drill},
         * {@code backup-copy}, {@code catalog-import}), e.g. {@code holdfast.jobs.types."restore".stall-warning=30m}.
         */
        Map<String, JobType> types();

        /**
         * Whether the watchdog also cancels a job it reports stalled: it fails with the diagnosis as its error (its
         * connections are aborted, so a lock wait ends too). Off by default: a lock held by someone else usually
         * goes away, and the report says whom to ask.
         */
        @WithDefault("false")
        boolean cancelStalled();

        /**
         * How long a job asked to stop (cancelled, stuck, instance shutting down, lease lost) may take to end.
         * Past it this instance no longer renews the job's lease, so the queue fails the job and its backup or
         * restore row within one lease, and logs where the job's thread is stuck.
         */
        @WithDefault("1m")
        Duration stopGrace();

        /**
         * Identifier of this instance, recorded as the owner of the jobs it claims. Defaults to
         * host name plus a random suffix so two instances on one host never collide.
         */
        Optional<String> instanceId();
    }

    /**
     * Archive storage settings. These keys describe the primary storage, called {@code default}: every backup is
     * written there. Named storages for offsite copies come beside them as {@code holdfast.storage."<name>".*}
     * with the same {@code type} and the same {@link Local} and {@link S3} groups; the names {@code default},
     * {@code type}, {@code local} and {@code s3} are therefore reserved.
     */
    interface Storage extends Backend {
        /**
         * Named storages that backups can be copied to ({@code copy_to}), e.g.
         * {@code holdfast.storage."offsite".type=s3} and {@code holdfast.storage."offsite".s3.bucket=...}. A named
         * local storage must set its own {@code local.root}.
         */
        @io.smallrye.config.WithParentName
        Map<String, Named> named();
    }

    /** A named storage: a backend, and how long copies stay in it. */
    interface Named extends Backend {
        /**
         * Retention of the copies in this storage, counted like {@code holdfast.retention.*} (the same rules and
         * groups) over the backups that have a copy here. Unset: a copy stays as long as its backup. It can only
         * remove copies earlier than the backup's own retention does (e.g. keep 7 dailies offsite, 30 at home):
         * deleting a backup always deletes its copies.
         */
        CopyRetention retention();
    }

    /** Retention rules for the copies in one named storage; none set means copies live as long as their backup. */
    interface CopyRetention {
        /** Keep the copies of the newest N backups (per group). */
        java.util.OptionalInt keepLast();

        /** Keep the copy of the newest backup of each of the last N days that have one. */
        java.util.OptionalInt keepDaily();

        /** Keep the copy of the newest backup of each of the last N ISO weeks that have one. */
        java.util.OptionalInt keepWeekly();

        /** Keep the copy of the newest backup of each of the last N months that have one. */
        java.util.OptionalInt keepMonthly();

        /** Keep the copy of the newest backup of each of the last N years that have one. */
        java.util.OptionalInt keepYearly();

        /** Keep the copies of backups younger than this (30d, 12h, 2w, or ISO-8601). */
        Optional<String> keepWithin();

        /** Remove copies of backups older than this whatever the other rules say (30d, or ISO-8601). */
        Optional<String> maxAge();
    }

    /** One storage backend: its type and the settings of that type. */
    interface Backend {
        /** Which backend keeps the archives: {@code local} (a directory) or {@code s3} (an S3-compatible bucket). */
        @WithDefault("local")
        StorageType type();

        /** Local filesystem storage. */
        Local local();

        /** S3-compatible object storage, used when {@code holdfast.storage.type=s3}. */
        S3 s3();

        /** The storage backends. */
        enum StorageType {
            LOCAL,
            S3
        }

        /** The SDK's checksum modes ({@code RequestChecksumCalculation}, {@code ResponseChecksumValidation}). */
        enum ChecksumMode {
            WHEN_SUPPORTED,
            WHEN_REQUIRED
        }

        /** S3-compatible object storage settings. */
        interface S3 {
            /**
             * Endpoint of an S3-compatible store, e.g. {@code http://minio:9000}; default: AWS S3's endpoint for the
             * region.
             */
            Optional<java.net.URI> endpoint();

            /** Region of the bucket (signed into every request; most compatible stores accept any). */
            @WithDefault("us-east-1")
            String region();

            /** Bucket that holds the archives; required when the type is {@code s3}. It must exist. */
            Optional<String> bucket();

            /** Key prefix of the archives in the bucket, e.g. {@code holdfast/} (a missing final {@code /} is added). */
            Optional<String> prefix();

            /** Path-style addressing ({@code endpoint/bucket/key}) instead of virtual hosts; s3proxy and MinIO need it. */
            @WithDefault("false")
            boolean pathStyle();

            /** Access key id; with the secret below, instead of the SDK's default credentials chain. */
            Optional<String> accessKeyId();

            /** Secret access key belonging to the access key id; never logged, returned or put in a message. */
            Optional<String> secretAccessKey();

            /**
             * When the SDK adds checksums to uploads: {@code when-required} (default; several S3-compatible stores
             * reject the trailing checksums the SDK sends otherwise) or {@code when-supported}.
             */
            @WithDefault("when-required")
            ChecksumMode checksumCalculation();

            /** When the SDK checks the checksums of downloads: {@code when-required} (default) or {@code when-supported}. */
            @WithDefault("when-required")
            ChecksumMode checksumValidation();

            /**
             * Size of one multipart part (at least 5M). A backend being written holds this times three in memory (the
             * part being filled and two uploading); an archive can have up to 10,000 parts.
             */
            @WithDefault("16M")
            io.quarkus.runtime.configuration.MemorySize partSize();

            /**
             * Multipart uploads under the prefix started longer ago than this are aborted at start-up: left by an
             * instance killed mid-backup. It must exceed the longest backup's upload time.
             */
            @WithDefault("24h")
            Duration staleUploadAge();
        }

        /** Local filesystem storage settings. */
        interface Local {
            /** Directory that holds the archives (created 0700 if missing). The seed's BACKUP_ROOT. */
            @WithDefault("./holdfast-data")
            String root();
        }
    }

    /** REST API settings. */
    interface Api {
        /** Largest accepted request body; larger requests get a 413 problem response. */
        @WithDefault("1M")
        io.quarkus.runtime.configuration.MemorySize maxBodySize();

        /** Largest page size a list endpoint accepts. */
        @WithDefault("200")
        int maxPageSize();

        /**
         * How long an {@code Idempotency-Key} of a create-backup or restore request is remembered: a repeat within
         * this time answers the first request's resource and job instead of starting the work again.
         */
        @WithDefault("24h")
        Duration idempotencyKeyTtl();
    }

    /** Archive settings. */
    interface Archive {
        /** Largest archive a backup may produce; enforced while streaming. The seed's BACKUP_MAX_FILE_SIZE. */
        @WithDefault("10G")
        io.quarkus.runtime.configuration.MemorySize maxSize();

        /** Default codec of archive entries: zstd, gzip or none. The seed's BACKUP_USE_COMPRESSION. */
        @WithDefault("zstd")
        String compression();

        /** Compression level; zstd 1-19 (default 1, measured in bench/), gzip 1-9 (default 6). */
        java.util.OptionalInt level();

        /** Mode of archive files, octal. The seed's BACKUP_FILE_PERMISSIONS. */
        @WithDefault("0600")
        String fileMode();

        /**
         * What is checked after a backup's archive is written, while it is made durable and before it is
         * published and SUCCEEDED: {@code stored} re-reads the archive from storage and checks the tar
         * structure, every entry's stored SHA-256 and the manifest's checksum (what storage can damage), and takes
         * the whole archive's SHA-256 from that read, on another core, rather than while writing;
         * {@code full} also decompresses every entry, checks its raw SHA-256 and the whole archive's SHA-256
         * (what the verify job does); {@code off} skips it. An archive that fails is never published.
         */
        @WithDefault("stored")
        VerifyMode verifyAfterWrite();

        /** Post-write verification depth. */
        enum VerifyMode {
            OFF,
            STORED,
            FULL
        }
    }

    /** Table data reading. */
    interface Copy {
        /**
         * Tables dumped at once (worker connections per backup), connections of a staged clean restore
         * (below 2, every restore is one transaction) and archive entries a restore checks at once; default:
         * available processors.
         */
        java.util.OptionalInt parallelism();

        /**
         * How long a backup waits for its ACCESS SHARE locks (and pg_dump for its own) before failing; a
         * concurrent DDL statement then fails the backup clearly instead of blocking the database.
         */
        @WithDefault("10s")
        Duration lockTimeout();

        /**
         * COPY format of table data in new backups. {@code binary} (default): restores load 15-25 % faster
         * (the server parses no text; measured in bench/ and docs/restore.md) and backups are faster, for
         * archives about a fifth larger after compression; tables with a column type whose binary form is not
         * portable (composites, arrays of types created in the database, extension types, types without
         * binary I/O) are still written as text. {@code text}: every table as text, as pg_dump does, for the
         * smallest archives and restores into columns of a different type without a conversion step.
         */
        @WithDefault("binary")
        dev.holdfast.pg.CopyStreamer.Format format();
    }

    /** Where restores may write, and their housekeeping. */
    interface Restore {
        /**
         * How often the whole cluster looks for empty databases that staged clean restores moved aside
         * ({@code <target>__hf_old_<id>}) and that no instance dropped (it stopped first), once per cluster;
         * each instance also looks once at startup, and drops its own right after each restore.
         */
        @WithDefault("1h")
        Duration retiredSweepInterval();

        /**
         * How often each instance checks whether that sweep is due (a Quarkus {@code every} value; {@code off}
         * disables the periodic sweep on this instance).
         */
        @WithDefault("1m")
        String retiredSweepCheckEvery();

        /**
         * Directories under which a restore's {@code media_target} may name a directory (strictly below one
         * of them, written as its real path: absolute, no {@code ..}, no symbolic link on the way). Besides
         * these, a media restore only ever writes into a configured media root ({@code holdfast.media.*}).
         * Default none: media are restored into their own roots only.
         */
        Optional<List<String>> mediaTargets();

        /**
         * Patterns of database names a restore's {@code target} may name besides the configured sources'
         * databases on the same server: {@code *} matches any run of characters, {@code ?} one (e.g.
         * {@code restore_*}, {@code *_scratch}). Never allowed whatever the patterns say: {@code postgres},
         * {@code template0}, {@code template1}, any database with {@code datistemplate}, and Holdfast's own
         * catalog database unless it is a configured source (and then never in clean mode). Default none.
         */
        Optional<List<String>> databaseTargets();
    }

    /** PostgreSQL client tools. */
    interface Pg {
        /**
         * Directory of pg_dump and pg_restore, used for every server (their major must be ≥ each server's); default:
         * the installations of {@link #searchPath()} and PATH, picked per server.
         */
        Optional<java.nio.file.Path> binDir();

        /**
         * Where to look for client tools of several majors (one {@code *} per pattern) when {@code bin-dir} is not
         * set. Each backup uses the installation of its server's major, else the oldest newer one; restores use the
         * newest. Images carry one installation per supported major in these directories.
         */
        @WithDefault("/usr/lib/postgresql/*/bin,/usr/pgsql-*/bin")
        List<String> searchPath();
    }

    /** Security settings. */
    interface Security {
        /**
         * Dev mode only: treat unauthenticated requests as an administrator named {@code dev-anonymous}
         * so the API can be tried without an identity provider. Refused in the prod profile.
         */
        @WithDefault("false")
        boolean devAnonymousAdmin();
    }

    /** A database source. */
    interface Database {
        /** JDBC URL of the database, e.g. {@code jdbc:postgresql://db:5432/app}. */
        @WithName("jdbc-url")
        String jdbcUrl();

        /** User name; it needs read access for backups and ownership of the tables for restores. */
        Optional<String> username();

        /** Password; never logged, returned or passed on a command line. */
        Optional<String> password();
    }

    /** Settings of one job type. */
    interface JobType {
        /**
         * The stall warning of this type, instead of {@code holdfast.jobs.stall-warning} ({@code off}: never). A
         * restore or drill builds each index in one statement that reports nothing, so give them longer.
         */
        Optional<String> stallWarning();
    }

    /** What holds for one source, whatever its kind. */
    interface SourceSettings {
        /** The source's recovery objectives ({@code holdfast.sources."<name>".objectives.*}). */
        Objectives objectives();
    }

    /**
     * Recovery objectives of a source, reported against what was measured by {@code GET /api/drills/statistics},
     * the metrics {@code holdfast_source_rpo_objective_seconds} and {@code holdfast_source_rto_objective_seconds},
     * and the alerts {@code HoldfastRpoObjectiveMissed} and {@code HoldfastRtoObjectiveMissed}. Durations as
     * {@code 26h}, {@code 30m} or ISO-8601 ({@code PT90S}); unset: no objective.
     */
    interface Objectives {
        /**
         * Recovery point objective: the most data, as time, the source may lose. Met while the newest successful
         * backup holding the source (of any type and schedule) is at most this old.
         */
        Optional<@WithConverter(Durations.ConfigConverter.class) Duration> rpo();

        /**
         * Recovery time objective: how long a recovery may take. Met while the newest passed restore drill of the
         * source restored within this time (its {@code recovery_seconds}); not met while no drill has passed.
         */
        Optional<@WithConverter(Durations.ConfigConverter.class) Duration> rto();
    }

    /** A media root. */
    interface Media {
        /** Directory whose tree is backed up. The seed's MEDIA_ROOT. */
        String path();

        /** Globs (relative to the root, e.g. {@code uploads/**}); when set, only matching files are backed up. */
        Optional<List<String>> include();

        /** Globs of files and directories never backed up (e.g. {@code cache/**}, {@code **.tmp}). */
        Optional<List<String>> exclude();
    }
}
