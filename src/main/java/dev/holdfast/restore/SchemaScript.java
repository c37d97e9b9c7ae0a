package dev.holdfast.restore;

import dev.holdfast.pg.TableRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A section of the archive's pg_dump schema as SQL that a JDBC connection can run, and the column types
 * of each {@code CREATE TABLE} in it, which the manifest does not record.
 *
 * <p>The script is metadata and is held in memory; table data never passes through here.
 */
final class SchemaScript {

    private final String sql;
    private final Map<TableRef, Map<String, String>> columnTypes;

    private SchemaScript(String sql, Map<TableRef, Map<String, String>> columnTypes) {
        this.sql = sql;
        this.columnTypes = columnTypes;
    }

    /** Parses pg_restore's {@code --file=-} output. */
    static SchemaScript parse(String script) {
        StringBuilder sql = new StringBuilder(script.length());
        Map<TableRef, Map<String, String>> types = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : script.split("\n", -1)) {
            // psql meta-commands (\restrict since 15.14 and its peers) mean nothing to the server.
            if (line.startsWith("\\")) {
                continue;
            }
            sql.append(line).append('\n');
            if (current == null && line.startsWith("CREATE TABLE ") && line.endsWith(" (")) {
                TableRef ref = qualifiedName(line.substring("CREATE TABLE ".length(), line.length() - 2));
                if (ref != null) {
                    current = new LinkedHashMap<>();
                    types.put(ref, current);
                }
            } else if (current != null) {
                if (line.startsWith(")")) {
                    current = null;
                } else if (line.startsWith("    ") && !line.startsWith("    CONSTRAINT ")) {
                    column(line.substring(4), current);
                }
            }
        }
        return new SchemaScript(sql.toString(), types);
    }

    String sql() {
        return sql;
    }

    /** Every table the script creates, in script order. */
    List<TableRef> tables() {
        return new ArrayList<>(columnTypes.keySet());
    }

    /** The column's type as pg_dump wrote it ({@code format_type} with an empty search path), or null. */
    String columnType(TableRef table, String column) {
        Map<String, String> cols = columnTypes.get(table);
        return cols == null ? null : cols.get(column);
    }

    private static final String[] TYPE_ENDS = {" COLLATE ", " NOT NULL", " DEFAULT ", " GENERATED ", " CONSTRAINT "};

    private static void column(String def, Map<String, String> into) {
        String body = def.endsWith(",") ? def.substring(0, def.length() - 1) : def;
        int[] end = new int[1];
        String name = identifier(body, 0, end);
        if (name == null || end[0] >= body.length() || body.charAt(end[0]) != ' ') {
            return;
        }
        String type = body.substring(end[0] + 1);
        int cut = type.length();
        for (String marker : TYPE_ENDS) {
            int i = type.indexOf(marker);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        into.put(name, type.substring(0, cut).strip());
    }

    private static TableRef qualifiedName(String text) {
        int[] end = new int[1];
        String schema = identifier(text, 0, end);
        if (schema == null || end[0] >= text.length() || text.charAt(end[0]) != '.') {
            return null;
        }
        String name = identifier(text, end[0] + 1, end);
        return name == null || end[0] != text.length() ? null : new TableRef(schema, name);
    }

    /** A quoted or plain identifier at {@code from}, its end index in {@code end[0]}. */
    private static String identifier(String s, int from, int[] end) {
        if (from >= s.length()) {
            return null;
        }
        if (s.charAt(from) == '"') {
            StringBuilder b = new StringBuilder();
            int i = from + 1;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '"') {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
                        b.append('"');
                        i += 2;
                        continue;
                    }
                    end[0] = i + 1;
                    return b.toString();
                }
                b.append(c);
                i++;
            }
            return null;
        }
        int i = from;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) {
            i++;
        }
        end[0] = i;
        return i == from ? null : s.substring(from, i);
    }
}
