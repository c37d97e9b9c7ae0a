-- Offsite copies: one row per backup and named storage it is (to be) copied to. The row outlives a failed copy
-- (that is how a backup "with a failed copy" is visible); it goes with the backup (ON DELETE CASCADE), whose
-- deletion removes the copied archive first.
CREATE TABLE backup_copy (
    id           uuid PRIMARY KEY,
    backup_id    uuid NOT NULL REFERENCES backup (id) ON DELETE CASCADE,
    storage      varchar(63) NOT NULL,
    status       varchar(16) NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
    job_id       uuid,
    storage_key  varchar(255) NOT NULL,
    size_bytes   bigint,
    sha256       char(64),
    error        text,
    requested_at timestamptz NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz,
    requested_by varchar(255),
    UNIQUE (backup_id, storage)
);
CREATE INDEX backup_copy_storage_status ON backup_copy (storage, status);
