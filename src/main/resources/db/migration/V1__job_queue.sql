-- Durable job queue. Everything a worker does is claimed, heart-beaten and finished through
-- this table, so any number of service instances can share one database.
CREATE TABLE job (
    id               uuid PRIMARY KEY,
    type             varchar(64)  NOT NULL,
    payload          jsonb        NOT NULL DEFAULT '{}'::jsonb,
    state            varchar(16)  NOT NULL
                     CHECK (state IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    -- Jobs with the same resource_key never run at the same time (e.g. restores of one target).
    resource_key     varchar(255),
    attempts         integer      NOT NULL DEFAULT 0,
    max_attempts     integer      NOT NULL DEFAULT 1 CHECK (max_attempts >= 1),
    queued_at        timestamptz  NOT NULL DEFAULT now(),
    not_before       timestamptz,
    started_at       timestamptz,
    finished_at      timestamptz,
    owner_instance   varchar(128),
    lease_expires_at timestamptz,
    heartbeat_at     timestamptz,
    cancel_requested boolean      NOT NULL DEFAULT false,
    progress         jsonb,
    progress_seq     bigint       NOT NULL DEFAULT 0,
    result           jsonb,
    error            text,
    created_by       varchar(255),
    CHECK (state <> 'RUNNING' OR (owner_instance IS NOT NULL AND lease_expires_at IS NOT NULL))
);

CREATE INDEX job_queued_idx ON job (queued_at, id) WHERE state = 'QUEUED';
CREATE INDEX job_running_lease_idx ON job (lease_expires_at) WHERE state = 'RUNNING';
CREATE INDEX job_type_state_idx ON job (type, state, queued_at DESC);
-- The database, not the workers, guarantees per-resource exclusion.
CREATE UNIQUE INDEX job_one_running_per_resource ON job (resource_key) WHERE state = 'RUNNING';
