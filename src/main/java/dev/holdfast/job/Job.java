package dev.holdfast.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A unit of background work in the durable queue. Rows are created through {@link JobService}
 * and claimed, heart-beaten and finished by {@link JobStore} with plain SQL so that several
 * instances can share the table safely.
 */
@Entity
@Table(name = "job")
public class Job extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(nullable = false)
    public String type;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public JsonNode payload;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public JobState state;

    @Column(name = "resource_key")
    public String resourceKey;

    public int attempts;

    @Column(name = "max_attempts")
    public int maxAttempts;

    @Column(name = "queued_at", nullable = false)
    public OffsetDateTime queuedAt;

    @Column(name = "not_before")
    public OffsetDateTime notBefore;

    @Column(name = "started_at")
    public OffsetDateTime startedAt;

    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;

    @Column(name = "owner_instance")
    public String ownerInstance;

    @Column(name = "lease_expires_at")
    public OffsetDateTime leaseExpiresAt;

    @Column(name = "heartbeat_at")
    public OffsetDateTime heartbeatAt;

    @Column(name = "cancel_requested")
    public boolean cancelRequested;

    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode progress;

    @Column(name = "progress_seq")
    public long progressSeq;

    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode result;

    /** The watchdog's report while the running job is stalled (a {@link JobStall}), else null. */
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode stall;

    public String error;

    @Column(name = "created_by")
    public String createdBy;
}
