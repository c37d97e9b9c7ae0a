-- Incremental media backups (docs/incremental.md). A backup row says whether it was asked to be incremental, the
-- backup it was compared with (its parent) and how many incremental backups lead back to the last full one.
ALTER TABLE backup
    ADD COLUMN incremental      boolean NOT NULL DEFAULT false,
    ADD COLUMN parent_backup_id uuid REFERENCES backup (id) ON DELETE SET NULL,
    ADD COLUMN chain_length     integer NOT NULL DEFAULT 0 CHECK (chain_length >= 0);

-- Which backups hold file contents another backup's manifest refers to (stored_in). Flat: a backup refers to the
-- archives that hold the bytes, never through another incremental. The holder's key has no ON DELETE action, so the
-- database itself refuses to delete a backup that a kept backup still needs; the referring row goes with its backup.
CREATE TABLE backup_reference (
    backup_id uuid   NOT NULL REFERENCES backup (id) ON DELETE CASCADE,
    holder_id uuid   NOT NULL REFERENCES backup (id),
    files     bigint NOT NULL CHECK (files > 0),
    bytes     bigint NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (backup_id, holder_id),
    CHECK (backup_id <> holder_id)
);
CREATE INDEX backup_reference_holder_idx ON backup_reference (holder_id);

-- Each successful backup's file index per media root: the manifest's media[].files (path, size, mtime, ctime, inode,
-- SHA-256, entry, stored_in) as zstd-compressed JSON, so that an incremental backup finds unchanged files without
-- reading (or decrypting) the earlier archive. Rebuilt from the manifest by a catalog import.
CREATE TABLE media_index (
    backup_id uuid         NOT NULL REFERENCES backup (id) ON DELETE CASCADE,
    source    varchar(100) NOT NULL,
    files     integer      NOT NULL,
    data      bytea        NOT NULL,
    PRIMARY KEY (backup_id, source)
);
