package dev.holdfast.backup;

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

/** A copy of a backup's archive in a named storage (offsite), and how it went. */
@Entity
@Table(name = "backup_copy")
public class BackupCopy extends PanacheEntityBase {
    /** Where a copy stands. */
    public enum Status {
        QUEUED,
        RUNNING,
        SUCCEEDED,
        FAILED
    }

    @Id
    public UUID id;

    @Column(name = "backup_id", nullable = false)
    public UUID backupId;

    @Column(nullable = false, length = 63)
    public String storage;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false, length = 16)
    public Status status;

    @Column(name = "job_id")
    public UUID jobId;

    @Column(name = "storage_key", nullable = false)
    public String storageKey;

    @Column(name = "size_bytes")
    public Long sizeBytes;

    @JdbcTypeCode(SqlTypes.CHAR)
    @Column(length = 64)
    public String sha256;

    public String error;

    @Column(name = "requested_at", nullable = false)
    public OffsetDateTime requestedAt;

    @Column(name = "started_at")
    public OffsetDateTime startedAt;

    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;

    @Column(name = "requested_by")
    public String requestedBy;
}
