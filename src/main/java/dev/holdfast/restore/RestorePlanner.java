package dev.holdfast.restore;

import dev.holdfast.archive.Manifest;
import dev.holdfast.pg.FkGraph;
import dev.holdfast.pg.PgCatalog;
import dev.holdfast.pg.PgNames;
import dev.holdfast.pg.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pre-flight of a restore: which tables and sequences of the archive it loads, and whether the target can
 * take them (tables, columns by name and type, foreign keys from outside the restored set); refuses with every
 * problem found, before anything changes.
 */
final class RestorePlanner {

    /**
     * What a restore loads.
     *
     * @param conversions binary tables of a replace restore whose target has a column of another type than the
     *     archive: their rows go through a temporary table of the archive's types
     */
    record LoadPlan(
            List<Manifest.TableEntry> tables,
            List<Manifest.SequenceEntry> sequences,
            Map<TableRef, Conversion> conversions) {}

    /** A binary table's temporary columns (archive types where they differ) and the values to insert. */
    record Conversion(List<String> tempColumns, List<String> values) {}

    private final Manifest.DatabaseSection section;
    private final RestoreOptions options;

    RestorePlanner(Manifest.DatabaseSection section, RestoreOptions options) {
        this.section = section;
        this.options = options;
    }

    /** A clean restore loads every table of the archive, each of which its schema dump must create. */
    LoadPlan planClean(SchemaScript pre) {
        Set<TableRef> created = new LinkedHashSet<>(pre.tables());
        List<String> problems = new ArrayList<>();
        for (Manifest.TableEntry t : section.tables()) {
            if (!created.contains(RestoreContext.ref(t))) {
                problems.add("table " + RestoreContext.ref(t).dotted() + " has data in the archive but no CREATE"
                        + " TABLE in its schema dump");
            }
        }
        refuseIf(problems);
        return new LoadPlan(section.tables(), section.sequences(), Map.of());
    }

    /** A replace restore loads the chosen tables (and those referencing them, if asked) into the target's own. */
    LoadPlan planReplace(Connection c, PgCatalog catalog, SchemaScript pre) throws SQLException {
        Map<TableRef, Manifest.TableEntry> inArchive = new LinkedHashMap<>();
        section.tables().forEach(t -> inArchive.put(RestoreContext.ref(t), t));
        Set<TableRef> chosen = select(catalog, inArchive);
        addReferencing(catalog, inArchive, chosen);

        List<Manifest.TableEntry> tables = section.tables().stream()
                .filter(t -> chosen.contains(RestoreContext.ref(t)))
                .toList();
        Map<TableRef, Conversion> converted = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Manifest.TableEntry te : tables) {
            checkTable(c, catalog, pre, te, problems, converted);
        }
        refuseIf(problems);
        return new LoadPlan(tables, sequences(catalog, chosen), converted);
    }

    /** FK check: TRUNCATE without CASCADE fails when a table outside the set references one inside. */
    private void addReferencing(PgCatalog catalog, Map<TableRef, Manifest.TableEntry> inArchive, Set<TableRef> chosen) {
        List<FkGraph.Edge> edges = FkGraph.of(catalog).edges();
        List<String> problems = new ArrayList<>();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (FkGraph.Edge e : edges) {
                if (!chosen.contains(e.to()) || chosen.contains(e.from())) {
                    continue;
                }
                Optional<PgCatalog.Table> from = catalog.table(e.from());
                if (from.isEmpty() || !from.get().dataCarrying()) {
                    continue;
                }
                if (!options.includeReferencing()) {
                    problems.add("table " + e.from().dotted() + " references " + e.to().dotted() + " (constraint "
                            + e.constraint() + ") but is not being restored: emptying " + e.to().dotted()
                            + " would need TRUNCATE ... CASCADE. Add "
                            + e.from().dotted()
                            + " to the tables or ask to include referencing tables");
                } else if (!inArchive.containsKey(e.from())) {
                    problems.add("table " + e.from().dotted() + " references " + e.to().dotted() + " (constraint "
                            + e.constraint() + ") and would have to be restored too, but the archive has no data"
                            + " for it");
                } else {
                    chosen.add(e.from());
                    grew = true;
                }
            }
            refuseIf(problems);
        }
    }

    /** Adds the problems of loading {@code te} into the target's table; a binary one may need a conversion. */
    private void checkTable(
            Connection c,
            PgCatalog catalog,
            SchemaScript pre,
            Manifest.TableEntry te,
            List<String> problems,
            Map<TableRef, Conversion> converted)
            throws SQLException {
        TableRef r = RestoreContext.ref(te);
        Optional<PgCatalog.Table> found = catalog.table(r);
        if (found.isEmpty()) {
            problems.add("table " + r.dotted() + " is in the archive but not in the target; create it (or use"
                    + " clean mode) first");
            return;
        }
        if (found.get().partitioned()) {
            problems.add("table " + r.dotted() + " is partitioned in the target but holds rows in the archive;"
                    + " its partitions would need to match the archive's");
            return;
        }
        Map<String, PgCatalog.Column> columns = new HashMap<>();
        found.get().columns().forEach(col -> columns.put(col.name(), col));
        boolean binary = "binary".equals(te.copyFormatIn(section));
        List<String> tempColumns = new ArrayList<>();
        List<String> values = new ArrayList<>();
        boolean convert = false;
        for (String name : te.columns()) {
            PgCatalog.Column col = columns.get(name);
            if (col == null) {
                problems.add("column \"" + name + "\" of table " + r.dotted()
                        + " is in the archive but missing in the target");
            } else if (col.generated()) {
                problems.add("column \"" + name + "\" of table " + r.dotted()
                        + " is a generated column in the target but holds data in the archive");
            } else {
                String source = pre.columnType(r, name);
                if (source != null && !source.equals(col.type()) && !compatible(c, source, col.type())) {
                    problems.add("column \"" + name + "\" of table " + r.dotted() + " is " + source
                            + " in the archive but " + col.type() + " in the target, which cannot take its"
                            + " values");
                } else if (binary) {
                    String q = PgNames.quoteIdent(name);
                    // Binary values only load into their own type; the text route converts them as a
                    // text archive would have been (the target type without modifiers, which the
                    // insert applies as an assignment: too long still fails, as text input would).
                    String targetBase =
                            source == null || source.equals(col.type()) ? null : otherBaseType(c, source, col.type());
                    tempColumns.add(q + " " + (targetBase == null ? col.type() : source));
                    values.add(targetBase == null ? q : q + "::text::" + targetBase);
                    convert |= targetBase != null;
                }
            }
        }
        if (convert) {
            converted.put(r, new Conversion(tempColumns, values));
        }
    }

    /** The archive's sequences to set: all of them, or for a selection those owned by a chosen table. */
    private List<Manifest.SequenceEntry> sequences(PgCatalog catalog, Set<TableRef> chosen) {
        Set<TableRef> sequencesWanted = new LinkedHashSet<>();
        Map<TableRef, PgCatalog.Sequence> targetSeqs = new HashMap<>();
        catalog.sequences().forEach(s -> targetSeqs.put(s.ref(), s));
        List<Manifest.SequenceEntry> sequences = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Manifest.SequenceEntry s : section.sequences()) {
            TableRef sr = new TableRef(s.schema(), s.name());
            PgCatalog.Sequence ts = targetSeqs.get(sr);
            boolean wanted = options.tables().isEmpty()
                    || (ts != null && ts.ownedByTable().map(chosen::contains).orElse(false));
            if (!wanted) {
                continue;
            }
            if (ts == null) {
                problems.add("sequence " + sr.dotted() + " is in the archive but not in the target");
            } else if (sequencesWanted.add(sr)) {
                sequences.add(s);
            }
        }
        refuseIf(problems);
        return sequences;
    }

    private Set<TableRef> select(PgCatalog catalog, Map<TableRef, Manifest.TableEntry> inArchive) {
        if (options.tables().isEmpty()) {
            return new LinkedHashSet<>(inArchive.keySet());
        }
        Set<TableRef> chosen = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (String wanted : options.tables().stream().sorted().toList()) {
            List<TableRef> exact = inArchive.keySet().stream()
                    .filter(t -> t.dotted().equals(wanted))
                    .toList();
            List<TableRef> bare = inArchive.keySet().stream()
                    .filter(t -> t.name().equals(wanted))
                    .toList();
            // A partitioned table names its leaves, which are what the archive holds.
            List<TableRef> leaves = catalog.tables().stream()
                    .filter(t -> t.partitioned()
                            && (t.ref().dotted().equals(wanted)
                                    || t.ref().name().equals(wanted)))
                    .flatMap(p -> leavesOf(catalog, p.ref()).stream())
                    .filter(inArchive::containsKey)
                    .toList();
            if (!exact.isEmpty()) {
                chosen.addAll(exact);
            } else if (bare.size() == 1) {
                chosen.addAll(bare);
            } else if (bare.size() > 1) {
                problems.add("table name '" + wanted + "' matches "
                        + bare.stream().map(TableRef::dotted).toList() + "; qualify it with its schema");
            } else if (!leaves.isEmpty()) {
                chosen.addAll(leaves);
            } else {
                problems.add("table '" + wanted + "' has no data in the archive");
            }
        }
        refuseIf(problems);
        return chosen;
    }

    private List<TableRef> leavesOf(PgCatalog catalog, TableRef parent) {
        List<TableRef> out = new ArrayList<>();
        for (PgCatalog.Table t : catalog.tables()) {
            if (t.partitionOf().map(parent::equals).orElse(false)) {
                if (t.partitioned()) {
                    out.addAll(leavesOf(catalog, t.ref()));
                } else {
                    out.add(t.ref());
                }
            }
        }
        return out;
    }

    private void refuseIf(List<String> problems) {
        if (!problems.isEmpty()) {
            throw new RestoreException(
                    "Restore of " + section.source() + " refused, nothing was changed: " + String.join("; ", problems));
        }
    }

    /**
     * The target type without modifiers when the two type names (typmods aside) denote different types in the
     * target database, null when they are the same type.
     */
    private static String otherBaseType(Connection c, String source, String target) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT CASE WHEN to_regtype(?) IS DISTINCT FROM"
                + " to_regtype(?) THEN format_type(to_regtype(?), NULL) END")) {
            ps.setString(1, source);
            ps.setString(2, target);
            ps.setString(3, target);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /**
     * Whether text output of {@code source} loads into {@code target}: same base type (domains unwrapped),
     * a string target, an implicit or assignment cast, or arrays of compatible elements. Values that fit
     * the type but not a narrower modifier fail during COPY, which rolls back.
     */
    private static boolean compatible(Connection c, String source, String target) throws SQLException {
        Long s = null;
        Long t = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regtype(?)::oid, to_regtype(?)::oid")) {
            ps.setString(1, source);
            ps.setString(2, target);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                s = (Long) rs.getObject(1, Long.class);
                t = (Long) rs.getObject(2, Long.class);
            }
        }
        return s != null && t != null && compatible(c, s, t, 0);
    }

    private static boolean compatible(Connection c, long source, long target, int depth) throws SQLException {
        long[] s = typeInfo(c, source);
        long[] t = typeInfo(c, target);
        if (s[0] == t[0] || t[2] == 'S') {
            return true;
        }
        if (s[1] != 0 && t[1] != 0 && depth < 4) {
            return compatible(c, s[1], t[1], depth + 1);
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_cast WHERE castsource = ?"
                + " AND casttarget = ? AND castcontext IN ('i', 'a'))")) {
            ps.setLong(1, s[0]);
            ps.setLong(2, t[0]);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Base type (domains unwrapped), array element type (0 if none), category of the base type. */
    private static long[] typeInfo(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                WITH RECURSIVE d(oid, depth) AS (
                  SELECT ?::oid, 0
                  UNION ALL SELECT t.typbasetype, d.depth + 1 FROM pg_type t JOIN d ON t.oid = d.oid
                  WHERE t.typtype = 'd')
                SELECT t.oid::bigint, CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END::bigint,
                       ascii(t.typcategory::text)
                FROM d JOIN pg_type t ON t.oid = d.oid ORDER BY d.depth DESC LIMIT 1
                """)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
    }
}
