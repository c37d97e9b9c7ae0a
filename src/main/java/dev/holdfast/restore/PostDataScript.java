package dev.holdfast.restore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The post-data script split into what may run on several connections at once and what must run in order:
 * the primary keys, unique constraints and indexes of each table (one group per table, in parallel), then
 * the index attachments of partitions, in order, then the foreign keys (in parallel, never two sharing a
 * table at once), then everything else in script order (triggers, rules, comments, policies...).
 *
 * <p>Each grouped statement locks only its own table, so groups on different connections cannot deadlock;
 * a foreign key locks its two tables, which is why no two that share one run together. A foreign key needs
 * only the unique index it references, valid (for a partitioned table, once its partitions' indexes are
 * attached); what else post-data holds needs only objects created before it, so it keeps its order after them.
 */
record PostDataScript(
        String preamble,
        Map<String, List<String>> groups,
        List<String> before,
        List<ForeignKey> foreignKeys,
        List<String> after) {

    /** One foreign key statement and the two tables (as written) that it locks. */
    record ForeignKey(String sql, java.util.Set<String> tables) {}

    private static final Pattern FK = Pattern.compile(
            "(?s)ALTER TABLE (?:ONLY )?(.+?)\\n\\s+ADD CONSTRAINT .+? FOREIGN KEY \\(.*?\\) REFERENCES (.+?)\\(.*");

    private static final Pattern INDEX = Pattern.compile("^CREATE (?:UNIQUE )?INDEX .+? ON (?:ONLY )?(.+?) USING .*");
    private static final String HEADER = "-- Name: ";

    /**
     * Splits pg_restore's text output at its per-object headers, or returns null when the script changes
     * session state between objects in ways that would not carry over to another connection (a tablespace or
     * access method other than the default), in which case it must run as one script.
     */
    static PostDataScript split(String sql) {
        StringBuilder preamble = new StringBuilder();
        List<String[]> blocks = new ArrayList<>(); // type, body
        StringBuilder body = null;
        String type = null;
        for (String line : sql.split("\n", -1)) {
            if (line.startsWith(HEADER) && line.contains("; Type: ")) {
                if (body != null) {
                    blocks.add(new String[] {type, body.toString()});
                }
                int at = line.indexOf("; Type: ") + "; Type: ".length();
                int end = line.indexOf(';', at);
                type = end < 0 ? line.substring(at) : line.substring(at, end);
                body = new StringBuilder();
                continue;
            }
            if (line.startsWith("--")) {
                continue;
            }
            if (body == null) {
                preamble.append(line).append('\n');
                continue;
            }
            if (line.startsWith("SET ")
                    && !line.equals("SET default_tablespace = '';")
                    && !line.equals("SET default_table_access_method = heap;")) {
                return null;
            }
            body.append(line).append('\n');
        }
        if (body != null) {
            blocks.add(new String[] {type, body.toString()});
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        List<String> before = new ArrayList<>();
        List<ForeignKey> fks = new ArrayList<>();
        List<String> after = new ArrayList<>();
        for (String[] b : blocks) {
            String table = b[0].equals("CONSTRAINT") || b[0].equals("INDEX") ? tableOf(b[0], b[1]) : null;
            Matcher fk = b[0].equals("FK CONSTRAINT") ? FK.matcher(b[1].strip()) : null;
            if (table != null) {
                groups.computeIfAbsent(table, k -> new ArrayList<>()).add(b[1]);
            } else if (fk != null && fk.matches()) {
                fks.add(new ForeignKey(
                        b[1],
                        java.util.Set.copyOf(
                                List.of(fk.group(1).strip(), fk.group(2).strip()))));
            } else if (b[0].equals("INDEX ATTACH")) {
                before.add(b[1]);
            } else {
                after.add(b[1]);
            }
        }
        return new PostDataScript(preamble.toString(), groups, before, fks, after);
    }

    /** The table a key or index statement is on, as written, or null if the statement is not the usual shape. */
    private static String tableOf(String type, String body) {
        String first = body.strip().lines().findFirst().orElse("");
        if (type.equals("CONSTRAINT")) {
            String rest = body.strip();
            if (!first.startsWith("ALTER TABLE ")
                    || !rest.contains("\n    ADD CONSTRAINT ")
                    || rest.contains(" FOREIGN KEY ")) {
                return null;
            }
            String t = first.substring("ALTER TABLE ".length());
            return t.startsWith("ONLY ") ? t.substring(5) : t;
        }
        Matcher m = INDEX.matcher(first);
        return m.matches() ? m.group(1) : null;
    }
}
