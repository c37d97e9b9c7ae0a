package dev.holdfast.restore;

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

/** A restore in the catalog: from which backup, with which options, and its validated outcome. */
@Entity
@Table(name = "restore_operation")
public class RestoreOperation extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "backup_id", nullable = false)
    public UUID backupId;

    /** Same lifecycle (and values) as a backup's. */
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public RestoreStatus status;

    /** {@code replace} or {@code clean}. */
    @Column(name = "restore_mode", nullable = false)
    public String restoreMode;

    @Column(name = "dry_run", nullable = false)
    public boolean dryRun;

    public String description;

    /** The request as normalised ({@link RestoreRequest}). */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public JsonNode options;

    @Column(name = "job_id")
    public UUID jobId;

    @Column(name = "pre_backup_id")
    public UUID preBackupId;

    @Column(name = "rollback_of")
    public UUID rollbackOf;

    /** Per database and media root: what was loaded, removed, validated. */
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode report;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Column(name = "started_at")
    public OffsetDateTime startedAt;

    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;

    public String error;

    @Column(name = "created_by")
    public String createdBy;
}
