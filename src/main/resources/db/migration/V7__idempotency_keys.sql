-- Idempotency-Key of work-creating requests (create backup, restore): a repeat answers the first request's
-- resource and job. Scoped per token subject and operation; kept until expires_at (holdfast.api.idempotency-key-ttl).
CREATE TABLE idempotency_key (
    subject        varchar(255) NOT NULL,
    operation      varchar(100) NOT NULL,
    key            varchar(255) NOT NULL,
    request_sha256 char(64)     NOT NULL,
    resource_id    uuid,
    job_id         uuid,
    created_at     timestamptz  NOT NULL,
    expires_at     timestamptz  NOT NULL,
    PRIMARY KEY (subject, operation, key)
);
CREATE INDEX idempotency_key_expires ON idempotency_key (expires_at);
