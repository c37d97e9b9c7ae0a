-- Media drills: per media root of the drilled backup, the files and bytes restored into the scratch directory and
-- whether every file's SHA-256 matched the manifest.
ALTER TABLE drill_run ADD COLUMN media jsonb;
