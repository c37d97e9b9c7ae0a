package dev.holdfast.drill;

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

/** A restore drill in the catalog: which backup of which source, its scratch database, timing and outcome. */
@Entity
@Table(name = "drill_run")
public class DrillRun extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(nullable = false)
    public String source;

    @Column(name = "backup_id")
    public UUID backupId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public DrillStatus status;

    /** {@code manual} or {@code schedule}. */
    @Column(nullable = false)
    public String trigger;

    @Column(name = "job_id")
    public UUID jobId;

    @Column(name = "scratch_database", nullable = false)
    public String scratchDatabase;

    @Column(name = "recovery_ms")
    public Long recoveryMs;

    @Column(name = "duration_ms")
    public Long durationMs;

    /** Per table: rows the manifest recorded and rows found in the scratch database. */
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode tables;

    /** Every validation check with its outcome. */
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode checks;

    /** Per media root of the backup: files and bytes restored and checked, and whether all matched. */
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode media;

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
