-- The watchdog's report on a running job whose progress stopped moving (a JobStall as JSON), cleared when the
-- progress moves again or the job ends. Read by GET /api/jobs/{id} and the holdfast_jobs_stalled gauge.
ALTER TABLE job ADD COLUMN stall jsonb;
