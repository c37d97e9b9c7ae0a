package dev.holdfast.pg;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * libpq connection parameters derived from a pgjdbc URL, handed to pg_dump/pg_restore through
 * environment variables so nothing about the connection (least of all a password) is a process argument.
 *
 * @param host comma-separated host list, as libpq accepts it (pgjdbc's multi-host URLs map onto it)
 * @param port comma-separated port list matching {@code host}
 * @param extra further libpq environment variables (PGSSLMODE, PGSSLROOTCERT, PGOPTIONS, ...)
 */
public record LibpqParams(
        String host, String port, String dbname, String user, String password, Map<String, String> extra) {

    private static final String PREFIX = "jdbc:postgresql:";

    /**
     * Parses {@code jdbc:postgresql://host[:port][,host[:port]...]/db?params}. pgjdbc URL keys that
     * libpq understands are carried over; the rest (driver tuning) are irrelevant to the tools.
     */
    public static LibpqParams fromJdbcUrl(String jdbcUrl) {
        // Long on purpose: a single-pass parser of the JDBC URL grammar (hosts, ports, database, parameters);
        // splitting it would split the grammar.
        if (jdbcUrl == null || !jdbcUrl.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + redactUrl(jdbcUrl));
        }
        String rest = jdbcUrl.substring(PREFIX.length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        List<String> hosts = new ArrayList<>();
        List<String> ports = new ArrayList<>();
        String db;
        if (rest.startsWith("//")) {
            rest = rest.substring(2);
            int slash = rest.indexOf('/');
            String hostPart = slash < 0 ? rest : rest.substring(0, slash);
            db = slash < 0 ? "" : rest.substring(slash + 1);
            if (hostPart.isEmpty()) {
                hosts.add("localhost");
                ports.add("5432");
            }
            for (String hp : hostPart.isEmpty() ? new String[0] : hostPart.split(",")) {
                String h;
                String p = "5432";
                if (hp.startsWith("[")) {
                    int close = hp.indexOf(']');
                    h = hp.substring(1, close);
                    if (close + 1 < hp.length() && hp.charAt(close + 1) == ':') {
                        p = hp.substring(close + 2);
                    }
                } else {
                    int colon = hp.lastIndexOf(':');
                    h = colon < 0 ? hp : hp.substring(0, colon);
                    if (colon >= 0) {
                        p = hp.substring(colon + 1);
                    }
                }
                hosts.add(h.isEmpty() ? "localhost" : h);
                ports.add(p.isEmpty() ? "5432" : p);
            }
        } else {
            // jdbc:postgresql:db form means localhost:5432
            db = rest;
            hosts.add("localhost");
            ports.add("5432");
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String kv : query.isEmpty() ? new String[0] : query.split("&")) {
            int eq = kv.indexOf('=');
            String k = decode(eq < 0 ? kv : kv.substring(0, eq));
            String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
            params.put(k, v);
        }
        Map<String, String> extra = new LinkedHashMap<>();
        String sslmode = params.get("sslmode");
        if (sslmode == null && "true".equalsIgnoreCase(params.get("ssl"))) {
            // pgjdbc's ssl=true without sslmode means full verification; keep that promise
            sslmode = "verify-full";
        }
        if (sslmode != null) {
            extra.put("PGSSLMODE", sslmode.toLowerCase(Locale.ROOT));
        }
        copy(params, "sslrootcert", extra, "PGSSLROOTCERT");
        copy(params, "sslcert", extra, "PGSSLCERT");
        copy(params, "sslkey", extra, "PGSSLKEY");
        copy(params, "options", extra, "PGOPTIONS");
        copy(params, "ApplicationName", extra, "PGAPPNAME");
        copy(params, "connectTimeout", extra, "PGCONNECT_TIMEOUT");
        return new LibpqParams(
                String.join(",", hosts),
                String.join(",", ports),
                decode(db),
                params.get("user"),
                params.get("password"),
                Map.copyOf(extra));
    }

    /** This connection with the given login, which wins over anything in the URL. */
    public LibpqParams withLogin(String user, String password) {
        return new LibpqParams(
                host,
                port,
                dbname,
                user != null ? user : this.user,
                password != null ? password : this.password,
                extra);
    }

    /** Environment for a libpq client, without the password (that goes through a passfile). */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGHOST", host);
        env.put("PGPORT", port);
        env.put("PGDATABASE", dbname);
        if (user != null && !user.isEmpty()) {
            env.put("PGUSER", user);
        }
        env.putAll(extra);
        return env;
    }

    /** The URL with any {@code password=} parameter masked, for messages and logs. */
    public static String redactUrl(String jdbcUrl) {
        if (jdbcUrl == null) {
            return "null";
        }
        return jdbcUrl.replaceAll("(?i)([?&]password=)[^&]*", "$1***");
    }

    private static void copy(Map<String, String> from, String key, Map<String, String> to, String env) {
        String v = from.get(key);
        if (v != null && !v.isEmpty()) {
            to.put(env, v);
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "LibpqParams[host=" + host + ", port=" + port + ", dbname=" + dbname + ", user=" + user + ", password="
                + (password == null ? "<none>" : "***") + ", extra=" + extra + "]";
    }
}
