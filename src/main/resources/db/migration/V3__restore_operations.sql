-- Restore operations: what was restored from which backup, how, and how it went. A restore keeps
-- its history when its backup is deleted, so backup_id is not a foreign key.
CREATE TABLE restore_operation (
    id              uuid PRIMARY KEY,
    backup_id       uuid         NOT NULL,
    status          varchar(16)  NOT NULL
                    CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    restore_mode    varchar(16)  NOT NULL CHECK (restore_mode IN ('replace', 'clean')),
    dry_run         boolean      NOT NULL DEFAULT false,
    description     text,
    options         jsonb        NOT NULL,
    job_id          uuid         REFERENCES job (id),
    pre_backup_id   uuid         REFERENCES backup (id) ON DELETE SET NULL,
    rollback_of     uuid         REFERENCES restore_operation (id),
    report          jsonb,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    error           text,
    created_by      varchar(255)
);

CREATE INDEX restore_created_idx ON restore_operation (created_at DESC, id);
CREATE INDEX restore_backup_idx ON restore_operation (backup_id);
