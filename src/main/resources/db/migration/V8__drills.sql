-- Restore drills: a backup restored into a scratch database that is dropped again, validated, and timed.
-- A drill keeps its history when its backup is deleted, so backup_id is not a foreign key.
CREATE TABLE drill_run (
    id               uuid PRIMARY KEY,
    source           varchar(100) NOT NULL,
    backup_id        uuid,
    status           varchar(16)  NOT NULL
                     CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    trigger          varchar(16)  NOT NULL CHECK (trigger IN ('manual', 'schedule')),
    job_id           uuid         REFERENCES job (id),
    scratch_database varchar(63)  NOT NULL,
    -- Wall time of the restore into the scratch database: the recovery time actually measured.
    recovery_ms      bigint,
    -- Wall time of the whole drill: restore, validation and clean-up.
    duration_ms      bigint,
    tables           jsonb,
    checks           jsonb,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    error            text,
    created_by       varchar(255)
);

CREATE INDEX drill_run_created_idx ON drill_run (created_at DESC, id);
CREATE INDEX drill_run_source_idx ON drill_run (source, created_at DESC);
