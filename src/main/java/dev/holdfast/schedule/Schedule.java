package dev.holdfast.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A backup schedule: a cron expression in a time zone, the backup it creates, and what follows each run. */
@Entity
@Table(name = "schedule")
public class Schedule extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(nullable = false, unique = true)
    public String name;

    public String description;

    /** Five-field Unix cron expression (minute hour day-of-month month day-of-week). */
    @Column(nullable = false)
    public String cron;

    /** IANA zone the cron expression is read in, e.g. {@code Europe/Berlin}. */
    @Column(name = "time_zone", nullable = false)
    public String timeZone;

    @Column(nullable = false)
    public boolean enabled;

    /** The {@link dev.holdfast.backup.BackupRequest} each run creates, as JSON. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "backup_request", nullable = false)
    public JsonNode backupRequest;

    /** A {@link dev.holdfast.retention.RetentionPolicy}, or null for the global policy only. */
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode retention;

    /** {@link dev.holdfast.notify.NotificationSettings}, or null for the global settings. */
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode notifications;

    /** A last success older than this many seconds makes the schedule overdue; null: derived from the cron. */
    @Column(name = "alert_after_seconds")
    public Long alertAfterSeconds;

    /** When the schedule fires next (null while disabled). */
    @Column(name = "next_run_at")
    public OffsetDateTime nextRunAt;

    @Column(name = "last_fired_at")
    public OffsetDateTime lastFiredAt;

    @Column(name = "last_backup_id")
    public UUID lastBackupId;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Column(name = "updated_at", nullable = false)
    public OffsetDateTime updatedAt;

    @Column(name = "created_by")
    public String createdBy;

    @Version
    public int version;
}
