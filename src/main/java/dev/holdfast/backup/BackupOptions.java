package dev.holdfast.backup;

import dev.holdfast.pg.Selection;
import java.util.List;

/**
 * The normalised options a backup runs with, stored on the catalog row.
 *
 * @param incremental media roots refer to earlier backups' contents instead of storing them again
 * @param rehash with incremental: hash every file rather than trust unchanged metadata
 * @param fullEvery with incremental: the chain length at which a full backup is taken instead; null: never
 */
public record BackupOptions(
        String compression,
        List<String> includeSchemas,
        List<String> excludeSchemas,
        List<String> includeTables,
        List<String> excludeTables,
        List<String> schemaOnlyTables,
        List<String> mediaInclude,
        List<String> mediaExclude,
        List<String> copyTo,
        boolean incremental,
        boolean rehash,
        Integer fullEvery) {

    public BackupOptions {
        includeSchemas = includeSchemas == null ? List.of() : List.copyOf(includeSchemas);
        excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
        includeTables = includeTables == null ? List.of() : List.copyOf(includeTables);
        excludeTables = excludeTables == null ? List.of() : List.copyOf(excludeTables);
        schemaOnlyTables = schemaOnlyTables == null ? List.of() : List.copyOf(schemaOnlyTables);
        mediaInclude = mediaInclude == null ? List.of() : List.copyOf(mediaInclude);
        mediaExclude = mediaExclude == null ? List.of() : List.copyOf(mediaExclude);
        copyTo = copyTo == null ? List.of() : List.copyOf(copyTo);
    }

    /** Options without incremental media (the form before it existed). */
    public BackupOptions(
            String compression,
            List<String> includeSchemas,
            List<String> excludeSchemas,
            List<String> includeTables,
            List<String> excludeTables,
            List<String> schemaOnlyTables,
            List<String> mediaInclude,
            List<String> mediaExclude,
            List<String> copyTo) {
        this(
                compression,
                includeSchemas,
                excludeSchemas,
                includeTables,
                excludeTables,
                schemaOnlyTables,
                mediaInclude,
                mediaExclude,
                copyTo,
                false,
                false,
                null);
    }

    /** The table selection these options describe. */
    public Selection selection() {
        return new Selection(includeSchemas, excludeSchemas, includeTables, excludeTables, schemaOnlyTables);
    }
}
