-- Encryption at rest: the age recipients a backup's archive was encrypted to, as fingerprints (the first 16 hex
-- digits of the SHA-256 of each age1... recipient), never keys. NULL: a plain archive (every backup before this).
ALTER TABLE backup ADD COLUMN encrypted_to jsonb
    CHECK (encrypted_to IS NULL OR jsonb_typeof(encrypted_to) = 'array');
