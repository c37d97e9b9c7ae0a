-- Drills on their own cron, per source. The rows mirror holdfast.drills.schedule.* (written at start-up); the
-- table exists so that instances claim a due slot exactly once (FOR NO KEY UPDATE SKIP LOCKED), as schedules do.
CREATE TABLE drill_schedule (
    source        varchar(100) PRIMARY KEY,
    cron          varchar(200) NOT NULL,
    time_zone     varchar(64)  NOT NULL,
    -- HH:MM-HH:MM in time_zone, or null: drills may start at any time.
    drill_window  varchar(11),
    next_run_at   timestamptz,
    last_fired_at timestamptz,
    last_drill_id uuid,
    updated_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE INDEX drill_schedule_due_idx ON drill_schedule (next_run_at);
