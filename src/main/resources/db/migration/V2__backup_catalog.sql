-- Backup catalog: one row per backup, whatever its outcome. The archive itself lives in storage
-- under storage_key; the row records what is in it and whether it was verified.
CREATE TABLE backup (
    id               uuid PRIMARY KEY,
    name             varchar(200) NOT NULL,
    description      text,
    backup_type      varchar(16)  NOT NULL CHECK (backup_type IN ('full', 'database', 'media')),
    status           varchar(16)  NOT NULL
                     CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    databases        jsonb        NOT NULL DEFAULT '[]'::jsonb,
    media            jsonb        NOT NULL DEFAULT '[]'::jsonb,
    -- ',db1,media1,' : every source name between commas, for simple filtering by source.
    source_names     text         NOT NULL DEFAULT ',',
    options          jsonb        NOT NULL DEFAULT '{}'::jsonb,
    job_id           uuid         REFERENCES job (id),
    storage_key      varchar(255),
    size_bytes       bigint,
    sha256           char(64),
    manifest_sha256  char(64),
    summary          jsonb,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    error            text,
    created_by       varchar(255),
    protected        boolean      NOT NULL DEFAULT false,
    verified_at      timestamptz,
    verify_ok        boolean,
    verify_failures  jsonb,
    CHECK (status <> 'SUCCEEDED' OR (storage_key IS NOT NULL AND sha256 IS NOT NULL AND size_bytes IS NOT NULL))
);

CREATE INDEX backup_created_idx ON backup (created_at DESC, id);
CREATE INDEX backup_status_idx ON backup (status, created_at DESC);
CREATE INDEX backup_databases_idx ON backup USING gin (databases);
