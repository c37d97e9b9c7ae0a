package dev.holdfast.backup;

import dev.holdfast.pg.Selection;
import java.util.List;

/** The normalised options a backup runs with, stored on the catalog row. */
public record BackupOptions(
        String compression,
        List<String> includeSchemas,
        List<String> excludeSchemas,
        List<String> includeTables,
        List<String> excludeTables,
        List<String> schemaOnlyTables,
        List<String> mediaInclude,
        List<String> mediaExclude,
        List<String> copyTo) {

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

    /** The table selection these options describe. */
    public Selection selection() {
        return new Selection(includeSchemas, excludeSchemas, includeTables, excludeTables, schemaOnlyTables);
    }
}
