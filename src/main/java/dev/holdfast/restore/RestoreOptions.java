package dev.holdfast.restore;

import java.util.Set;

/**
 * What a database restore should do.
 *
 * @param mode {@link Mode#REPLACE} loads into the existing schema; {@link Mode#CLEAN} recreates the schema first
 * @param tables tables to restore as {@code schema.table} or a bare name (any schema); empty means all
 * @param includeReferencing restore tables that reference a selected one too, instead of refusing
 * @param dryRun run the whole restore and roll it back, reporting what would have happened
 */
public record RestoreOptions(Mode mode, Set<String> tables, boolean includeReferencing, boolean dryRun) {

    /** How the target's schema is treated. */
    public enum Mode {
        /** Keep the target's schema (managed by the application's migrations); replace the rows. */
        REPLACE,
        /** Drop and recreate the archive's objects from its pg_dump schema, then load the rows. */
        CLEAN
    }

    public RestoreOptions {
        mode = mode == null ? Mode.REPLACE : mode;
        tables = tables == null ? Set.of() : Set.copyOf(tables);
    }

    /** Every table, replace mode, committed. */
    public static RestoreOptions replaceAll() {
        return new RestoreOptions(Mode.REPLACE, Set.of(), false, false);
    }

    /** Every table, clean mode, committed. */
    public static RestoreOptions cleanAll() {
        return new RestoreOptions(Mode.CLEAN, Set.of(), false, false);
    }

    public RestoreOptions withDryRun(boolean dry) {
        return new RestoreOptions(mode, tables, includeReferencing, dry);
    }
}
