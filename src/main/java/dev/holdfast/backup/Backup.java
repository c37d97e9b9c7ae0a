package dev.holdfast.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A backup in the catalog: what was asked for, how it went, and where its archive is. */
@Entity
@Table(name = "backup")
public class Backup extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(nullable = false)
    public String name;

    public String description;

    @Convert(converter = BackupTypeConverter.class)
    @Column(name = "backup_type", nullable = false)
    public BackupType backupType;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public BackupStatus status;

    /** Database source names covered. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public JsonNode databases;

    /** Media source names covered. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public JsonNode media;

    @Column(name = "source_names", nullable = false)
    public String sourceNames;

    /** The request's options (compression, selection), as given. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public JsonNode options;

    @Column(name = "job_id")
    public UUID jobId;

    @Column(name = "storage_key")
    public String storageKey;

    @Column(name = "size_bytes")
    public Long sizeBytes;

    // char(64) in the migration (a hex SHA-256 has exactly 64 characters): mapped as CHAR so that Hibernate's
    // schema validation agrees with Flyway's schema (SchemaValidationTest).
    @JdbcTypeCode(SqlTypes.CHAR)
    @Column(length = 64)
    public String sha256;

    @JdbcTypeCode(SqlTypes.CHAR)
    @Column(name = "manifest_sha256", length = 64)
    public String manifestSha256;

    /** Fingerprints of the age recipients the archive is encrypted to (a JSON array); null for a plain archive. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "encrypted_to")
    public JsonNode encryptedTo;

    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode summary;

    @Column(name = "created_at", nullable = false)
    public OffsetDateTime createdAt;

    @Column(name = "started_at")
    public OffsetDateTime startedAt;

    @Column(name = "finished_at")
    public OffsetDateTime finishedAt;

    public String error;

    @Column(name = "created_by")
    public String createdBy;

    @Column(name = "protected")
    public boolean protectedFromDeletion;

    @Column(name = "verified_at")
    public OffsetDateTime verifiedAt;

    @Column(name = "verify_ok")
    public Boolean verifyOk;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "verify_failures")
    public JsonNode verifyFailures;

    /** The schedule that created this backup, if any. */
    @Column(name = "schedule_id")
    public UUID scheduleId;

    /** Where the backup came from: {@code api}, {@code schedule}, {@code pre-restore} or {@code cli}. */
    @Column(nullable = false)
    public String trigger = "api";

    /** Whether the backup was asked to store its media roots incrementally ({@code options.incremental}). */
    @Column(nullable = false)
    public boolean incremental;

    /** The backup whose file index an incremental backup was compared with; null for a self-contained one. */
    @Column(name = "parent_backup_id")
    public UUID parentBackupId;

    /** Incremental backups back to the last self-contained one, this one included; 0 for a self-contained one. */
    @Column(name = "chain_length", nullable = false)
    public int chainLength;

    /**
     * {@code value} as a JSON column holds it once read back. Hibernate's dirty check compares a JSON column with a
     * snapshot parsed from its text, and {@code valueToTree} keeps a {@code long} as a {@code LongNode} where parsing
     * gives an {@code IntNode}: such a column never compared equal, so every flush (one before each native query of a
     * transaction) wrote the whole row again, five times in an incremental backup's final transaction.
     */
    static JsonNode json(ObjectMapper mapper, Object value) {
        try {
            return mapper.readTree(mapper.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Converts the type to its lower-case catalog value. */
    @jakarta.persistence.Converter
    public static class BackupTypeConverter implements jakarta.persistence.AttributeConverter<BackupType, String> {
        @Override
        public String convertToDatabaseColumn(BackupType t) {
            return t == null ? null : t.jsonName();
        }

        @Override
        public BackupType convertToEntityAttribute(String s) {
            return s == null ? null : BackupType.fromJson(s);
        }
    }
}
