-- Operations: schedules, where a backup came from, the audit trail, and cluster-wide periodic tasks.

-- A schedule fires a backup on a cron expression in a time zone. next_run_at is the claim point:
-- an instance takes a due row with FOR UPDATE SKIP LOCKED and moves it forward in the same
-- transaction that queues the backup, so every due run starts exactly once in the cluster.
CREATE TABLE schedule (
    id                  uuid PRIMARY KEY,
    name                varchar(200) NOT NULL UNIQUE,
    description         text,
    cron                varchar(200) NOT NULL,
    time_zone           varchar(64)  NOT NULL DEFAULT 'UTC',
    enabled             boolean      NOT NULL DEFAULT true,
    -- The backup each run creates: the fields of POST /api/backups (type, sources, selection, compression).
    backup_request      jsonb        NOT NULL DEFAULT '{}'::jsonb,
    -- Retention policy applied after each run (null: only the global policy).
    retention           jsonb,
    -- Notification settings (null: the global ones).
    notifications       jsonb,
    -- A last success older than this makes the schedule overdue (health, alerts); null: derived from the cron.
    alert_after_seconds bigint       CHECK (alert_after_seconds IS NULL OR alert_after_seconds > 0),
    next_run_at         timestamptz,
    last_fired_at       timestamptz,
    last_backup_id      uuid,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    created_by          varchar(255),
    version             integer      NOT NULL DEFAULT 0
);

CREATE INDEX schedule_due_idx ON schedule (next_run_at) WHERE enabled;

-- Where a backup came from: the API, a schedule, or a restore's pre-restore backup.
ALTER TABLE backup ADD COLUMN schedule_id uuid REFERENCES schedule (id) ON DELETE SET NULL;
ALTER TABLE backup ADD COLUMN trigger varchar(16) NOT NULL DEFAULT 'api'
    CHECK (trigger IN ('api', 'schedule', 'pre-restore', 'cli'));
CREATE INDEX backup_schedule_idx ON backup (schedule_id, created_at DESC);
UPDATE backup b SET trigger = 'pre-restore' FROM restore_operation r WHERE r.pre_backup_id = b.id;

-- Who did what, when, and how it ended. Rows are only ever inserted.
CREATE TABLE audit_event (
    id            bigserial    PRIMARY KEY,
    at            timestamptz  NOT NULL DEFAULT clock_timestamp(),
    actor_subject varchar(255) NOT NULL,
    actor_name    varchar(255),
    action        varchar(64)  NOT NULL,
    target_type   varchar(32),
    target_id     varchar(100),
    outcome       varchar(16)  NOT NULL CHECK (outcome IN ('ACCEPTED', 'SUCCEEDED', 'FAILED', 'REFUSED')),
    details       jsonb
);

CREATE INDEX audit_event_at_idx ON audit_event (at DESC, id DESC);
CREATE INDEX audit_event_target_idx ON audit_event (target_type, target_id);
CREATE INDEX audit_event_actor_idx ON audit_event (actor_subject, at DESC);

-- Periodic work that must run once per cluster (daily retention, say): claimed like a schedule.
CREATE TABLE cluster_task (
    name        varchar(100) PRIMARY KEY,
    next_run_at timestamptz  NOT NULL,
    last_run_at timestamptz,
    last_owner  varchar(255),
    last_error  text
);
