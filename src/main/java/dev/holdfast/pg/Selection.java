package dev.holdfast.pg;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which schemas and tables a backup covers, and which of them only by schema (no data), by exact name or
 * glob ({@code *} any run of characters, {@code ?} one character).
 *
 * <p>A table pattern containing a dot is matched against {@code schema.name}, otherwise against the table
 * name in any schema, so {@code auth_*}, {@code public.django_session} and {@code sales.*} all work. Names
 * are case-sensitive, as stored in the catalog. Empty include lists mean everything. A partition follows
 * its partitioned root (its name is an implementation detail) unless it is excluded by name itself. The
 * {@value PgCatalog#HOLDFAST_SCHEMA} schema is always excluded.
 */
public record Selection(
        List<String> includeSchemas,
        List<String> excludeSchemas,
        List<String> includeTables,
        List<String> excludeTables,
        List<String> schemaOnlyTables) {

    public Selection {
        includeSchemas = List.copyOf(includeSchemas);
        excludeSchemas = List.copyOf(excludeSchemas);
        includeTables = List.copyOf(includeTables);
        excludeTables = List.copyOf(excludeTables);
        schemaOnlyTables = List.copyOf(schemaOnlyTables);
    }

    /** Every user table. */
    public static Selection all() {
        return new Selection(List.of(), List.of(), List.of(), List.of(), List.of());
    }

    public Selection withIncludeSchemas(String... patterns) {
        return new Selection(List.of(patterns), excludeSchemas, includeTables, excludeTables, schemaOnlyTables);
    }

    public Selection withExcludeSchemas(String... patterns) {
        return new Selection(includeSchemas, List.of(patterns), includeTables, excludeTables, schemaOnlyTables);
    }

    public Selection withIncludeTables(String... patterns) {
        return new Selection(includeSchemas, excludeSchemas, List.of(patterns), excludeTables, schemaOnlyTables);
    }

    public Selection withExcludeTables(String... patterns) {
        return new Selection(includeSchemas, excludeSchemas, includeTables, List.of(patterns), schemaOnlyTables);
    }

    public Selection withSchemaOnlyTables(String... patterns) {
        return new Selection(includeSchemas, excludeSchemas, includeTables, excludeTables, List.of(patterns));
    }

    /**
     * The outcome against one catalog.
     *
     * @param tables every selected table, parents included, in catalog order
     * @param dataTables selected tables whose rows are copied (leaf tables not marked schema-only)
     * @param schemaOnly selected tables whose rows are deliberately left out
     * @param excludedTables tables of included schemas left out entirely
     * @param excludedSchemas catalog schemas left out entirely (always including {@value PgCatalog#HOLDFAST_SCHEMA})
     * @param warnings foreign keys from selected tables to tables whose rows the backup will not contain
     */
    public record Result(
            List<PgCatalog.Table> tables,
            List<PgCatalog.Table> dataTables,
            List<PgCatalog.Table> schemaOnly,
            List<TableRef> excludedTables,
            List<String> excludedSchemas,
            List<String> warnings) {

        public List<TableRef> tableRefs() {
            return tables.stream().map(PgCatalog.Table::ref).toList();
        }
    }

    public boolean schemaSelected(String schema) {
        if (PgCatalog.HOLDFAST_SCHEMA.equals(schema)) {
            return false;
        }
        return (includeSchemas.isEmpty() || matchesAny(includeSchemas, schema)) && !matchesAny(excludeSchemas, schema);
    }

    public Result apply(PgCatalog catalog) {
        Map<TableRef, PgCatalog.Table> byRef = new HashMap<>();
        catalog.tables().forEach(t -> byRef.put(t.ref(), t));

        List<PgCatalog.Table> selected = new ArrayList<>();
        List<PgCatalog.Table> data = new ArrayList<>();
        List<PgCatalog.Table> schemaOnly = new ArrayList<>();
        List<TableRef> excluded = new ArrayList<>();
        Set<TableRef> withRows = new LinkedHashSet<>();
        Set<TableRef> selectedRefs = new LinkedHashSet<>();
        for (PgCatalog.Table t : catalog.tables()) {
            TableRef root = root(t, byRef);
            boolean in = schemaSelected(t.ref().schema())
                    && schemaSelected(root.schema())
                    && tableIncluded(root)
                    && !matchesTable(excludeTables, t.ref())
                    && !matchesTable(excludeTables, root);
            if (!in) {
                if (schemaSelected(t.ref().schema())) {
                    excluded.add(t.ref());
                }
                continue;
            }
            selected.add(t);
            selectedRefs.add(t.ref());
            boolean noData = matchesTable(schemaOnlyTables, t.ref()) || matchesTable(schemaOnlyTables, root);
            if (noData) {
                schemaOnly.add(t);
            } else if (t.dataCarrying()) {
                data.add(t);
                withRows.add(t.ref());
            }
            if (!noData && t.partitioned()) {
                withRows.add(t.ref()); // its rows live in partitions, which are judged on their own
            }
        }

        List<String> excludedSchemas = new ArrayList<>();
        for (String s : catalog.schemas()) {
            if (!schemaSelected(s)) {
                excludedSchemas.add(s);
            }
        }
        if (!excludedSchemas.contains(PgCatalog.HOLDFAST_SCHEMA)) {
            excludedSchemas.add(PgCatalog.HOLDFAST_SCHEMA);
        }

        List<String> warnings = new ArrayList<>();
        for (PgCatalog.ForeignKey fk : catalog.foreignKeys()) {
            if (!selectedRefs.contains(fk.from()) || fk.selfReference()) {
                continue;
            }
            if (!selectedRefs.contains(fk.to())) {
                warnings.add("table " + fk.from() + " references excluded table " + fk.to() + " (constraint "
                        + PgNames.quoteIdent(fk.name()) + "); restoring it needs those rows to exist in the target");
            } else if (!withRows.contains(fk.to()) && withRows.contains(fk.from())) {
                warnings.add("table " + fk.from() + " references schema-only table " + fk.to() + " (constraint "
                        + PgNames.quoteIdent(fk.name()) + "); its rows are not in the backup");
            }
        }
        return new Result(
                List.copyOf(selected),
                List.copyOf(data),
                List.copyOf(schemaOnly),
                List.copyOf(excluded),
                List.copyOf(excludedSchemas),
                List.copyOf(warnings));
    }

    private boolean tableIncluded(TableRef t) {
        return includeTables.isEmpty() || matchesTable(includeTables, t);
    }

    private static TableRef root(PgCatalog.Table t, Map<TableRef, PgCatalog.Table> byRef) {
        PgCatalog.Table cur = t;
        for (int guard = 0; guard < 1000; guard++) {
            Optional<TableRef> parent = cur.partitionOf();
            if (parent.isEmpty() || !byRef.containsKey(parent.get())) {
                return cur.ref();
            }
            cur = byRef.get(parent.get());
        }
        return cur.ref();
    }

    /** Whether a table matches one of the patterns, as the selection matches it. */
    public static boolean matchesTable(Collection<String> patterns, TableRef t) {
        for (String p : patterns) {
            if (p.indexOf('.') >= 0
                    ? glob(p).matcher(t.dotted()).matches()
                    : glob(p).matcher(t.name()).matches()) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesAny(Collection<String> patterns, String value) {
        return patterns.stream().anyMatch(p -> glob(p).matcher(value).matches());
    }

    // Compiled per call on purpose: patterns arrive with API requests, and a static cache would grow with them.
    static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char ch : pattern.toCharArray()) {
            if (ch == '*' || ch == '?') {
                if (literal.length() > 0) {
                    re.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                re.append(ch == '*' ? ".*" : ".");
            } else {
                literal.append(ch);
            }
        }
        if (literal.length() > 0) {
            re.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
