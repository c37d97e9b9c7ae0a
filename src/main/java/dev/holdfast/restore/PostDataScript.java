package dev.holdfast.restore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The post-data script split into what may run on several connections at once (the primary keys, unique
 * constraints and indexes of each table, one group per table) and what must run afterwards in script order
 * (index attachments, foreign keys, triggers, comments, ownership...).
 *
 * <p>Each grouped statement locks only its own table, so groups on different connections cannot deadlock;
 * foreign keys lock two tables each and stay in the ordered remainder.
 */
record PostDataScript(String preamble, Map<String, List<String>> groups, List<String> rest) {

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
            if (line.startsWith("SET ") && !line.equals("SET default_tablespace = '';")
                    && !line.equals("SET default_table_access_method = heap;")) {
                return null;
            }
            body.append(line).append('\n');
        }
        if (body != null) {
            blocks.add(new String[] {type, body.toString()});
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        List<String> rest = new ArrayList<>();
        for (String[] b : blocks) {
            String table = b[0].equals("CONSTRAINT") || b[0].equals("INDEX") ? tableOf(b[0], b[1]) : null;
            if (table == null) {
                rest.add(b[1]);
            } else {
                groups.computeIfAbsent(table, k -> new ArrayList<>()).add(b[1]);
            }
        }
        return new PostDataScript(preamble.toString(), groups, rest);
    }

    /** The table a key or index statement is on, as written, or null if the statement is not the usual shape. */
    private static String tableOf(String type, String body) {
        String first = body.strip().lines().findFirst().orElse("");
        if (type.equals("CONSTRAINT")) {
            String rest = body.strip();
            if (!first.startsWith("ALTER TABLE ") || !rest.contains("\n    ADD CONSTRAINT ")
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
