package dev.holdfast.pg;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs pg_dump and pg_restore, the only external binaries: finds them, checks their version against the
 * server, streams their output, and hands them the password through a temporary 0600 passfile, never
 * on the command line.
 *
 * <p>The schema dump keeps owners and privileges (no {@code --no-owner}): the archive should say
 * everything the source knew, and whether to apply ownership is a restore-time decision
 * ({@link RestoreOptions#noOwner()}) that depends on the target's roles.
 */
public final class PgTools {

    /** How much of a tool's stderr is kept for the error message; the tail is what explains a failure. */
    static final int STDERR_LIMIT = 16 * 1024;

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");

    /** A client tool's version as printed by {@code --version}. */
    public record ToolVersion(Path executable, int major, int minor, String text) {

        @Override
        public String toString() {
            return text + " (" + executable + ")";
        }
    }

    /** pg_restore sections: pre-data (types, tables), data, post-data (indexes, constraints, triggers). */
    public enum Section {
        PRE_DATA("pre-data"),
        DATA("data"),
        POST_DATA("post-data");

        private final String arg;

        Section(String arg) {
            this.arg = arg;
        }

        public String arg() {
            return arg;
        }
    }

    /** What to leave out of the schema dump, as exact names (resolved from a {@link Selection}). */
    public record DumpFilter(
            List<String> excludeSchemas, List<TableRef> excludeTables, List<TableRef> excludeTableData) {

        public DumpFilter {
            excludeSchemas = List.copyOf(excludeSchemas);
            excludeTables = List.copyOf(excludeTables);
            excludeTableData = List.copyOf(excludeTableData);
        }

        /**
         * The filter matching a selection: excluded schemas (always {@value PgCatalog#HOLDFAST_SCHEMA}),
         * excluded tables by exact name; schema-only tables stay in, they have no data in a schema dump anyway.
         */
        public static DumpFilter of(Selection.Result selection) {
            return new DumpFilter(
                    selection.excludedSchemas(),
                    selection.excludedTables(),
                    selection.schemaOnly().stream().map(PgCatalog.Table::ref).toList());
        }

        List<String> args() {
            List<String> args = new ArrayList<>();
            for (String s : excludeSchemas) {
                args.add("--exclude-schema=" + pattern(s));
            }
            for (TableRef t : excludeTables) {
                args.add("--exclude-table=" + pattern(t.schema()) + "." + pattern(t.name()));
            }
            for (TableRef t : excludeTableData) {
                args.add("--exclude-table-data=" + pattern(t.schema()) + "." + pattern(t.name()));
            }
            return args;
        }

        /** Inside double quotes a pg_dump pattern is literal: no case folding, no wildcards. */
        private static String pattern(String name) {
            return '"' + name.replace("\"", "\"\"") + '"';
        }
    }

    /**
     * pg_restore switches that depend on the target rather than on the archive.
     *
     * @param clean {@code --clean --if-exists}: drop each object the section creates before creating it
     */
    public record RestoreOptions(boolean noOwner, boolean noPrivileges, boolean singleTransaction, boolean clean) {

        public RestoreOptions(boolean noOwner, boolean noPrivileges, boolean singleTransaction) {
            this(noOwner, noPrivileges, singleTransaction, false);
        }

        public static RestoreOptions defaults() {
            return new RestoreOptions(false, false, true);
        }
    }

    /** How a tool run ended; stderr is bounded to its last {@value #STDERR_LIMIT} bytes. */
    public record RunResult(int exitCode, long stdoutBytes, String stderr) {}

    /** Where client tools of several majors are usually installed (Debian/Ubuntu, RHEL/UBI PGDG packages). */
    public static final List<String> DEFAULT_SEARCH_PATH = List.of("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin");

    private final Path pgDump;
    private final Path pgRestore;
    /** Every installation found, newest major first, when discovered; else just this one. */
    private final List<PgTools> installations;

    private PgTools(Path pgDump, Path pgRestore) {
        this.pgDump = pgDump;
        this.pgRestore = pgRestore;
        this.installations = List.of(this);
    }

    private PgTools(List<PgTools> installations) {
        this.pgDump = installations.get(0).pgDump;
        this.pgRestore = installations.get(0).pgRestore;
        this.installations = List.copyOf(installations);
    }

    /**
     * Every installation of the client tools: {@code binDir} alone when given (an explicit choice), else each
     * directory matching a {@code searchPath} pattern (one {@code *} per pattern, e.g.
     * {@code /usr/lib/postgresql/*}{@code /bin}) that holds both tools, plus the pair on {@code PATH}. The newest
     * major comes first and serves whatever needs no particular server ({@link #forServer} picks per server).
     *
     * @throws PgEngineException when none is found, naming where it looked
     */
    public static PgTools discover(Optional<Path> binDir, List<String> searchPath) {
        if (binDir.isPresent()) {
            return locate(binDir);
        }
        java.util.Map<Path, PgTools> found = new java.util.LinkedHashMap<>();
        for (String pattern : searchPath) {
            for (Path dir : expand(pattern)) {
                if (Files.isExecutable(dir.resolve("pg_dump")) && Files.isExecutable(dir.resolve("pg_restore"))) {
                    found.putIfAbsent(real(dir.resolve("pg_dump")), locate(Optional.of(dir)));
                }
            }
        }
        try {
            PgTools onPath = locate(Optional.empty());
            found.putIfAbsent(real(onPath.pgDump), onPath);
        } catch (PgEngineException e) {
            if (found.isEmpty()) {
                throw new PgEngineException(
                        e.getMessage() + " Also looked in " + searchPath + " (holdfast.pg.search-path).");
            }
        }
        List<PgTools> all = new ArrayList<>(found.values());
        // Newest major first; a tool whose version cannot be read is left out rather than failing every backup.
        java.util.Map<PgTools, Integer> majors = new java.util.HashMap<>();
        all.removeIf(t -> {
            try {
                majors.put(t, t.pgDumpVersion().major());
                return false;
            } catch (PgEngineException e) {
                return true;
            }
        });
        if (all.isEmpty()) {
            throw new PgEngineException("No usable pg_dump found in " + searchPath + " or on PATH");
        }
        all.sort(java.util.Comparator.comparing((PgTools t) -> majors.get(t)).reversed());
        return new PgTools(all);
    }

    /** The installations this finds from, newest major first (one unless {@link #discover discovered}). */
    public List<PgTools> installations() {
        return installations;
    }

    /**
     * The installation for a server: the one of the server's major version, else the oldest newer one (pg_dump
     * reads older servers, never newer ones).
     *
     * @throws PgEngineException when every installation is older than the server, naming what was found and the fix
     */
    public PgTools forServer(int serverVersionNum) {
        int serverMajor = serverVersionNum / 10000;
        PgTools best = null;
        int bestMajor = Integer.MAX_VALUE;
        for (PgTools t : installations) {
            int major = t.pgDumpVersion().major();
            if (major >= serverMajor && major < bestMajor) {
                best = t;
                bestMajor = major;
            }
        }
        if (best == null) {
            if (installations.size() == 1) {
                requireCompatible(serverVersionNum); // the single-installation message, with its fix
            }
            List<String> seen = installations.stream()
                    .map(t -> t.pgDumpVersion().major() + " (" + t.pgDump.getParent() + ")")
                    .toList();
            throw new PgEngineException("No pg_dump of major " + serverMajor + " or newer for this PostgreSQL "
                    + serverMajor + " server; found " + seen + ". Install the PostgreSQL " + serverMajor
                    + " client tools (e.g. apt-get install postgresql-client-" + serverMajor + ", or the PGDG"
                    + " package postgresql" + serverMajor + ") where holdfast.pg.search-path looks.");
        }
        best.requireCompatible(serverVersionNum);
        return best;
    }

    private static List<Path> expand(String pattern) {
        int star = pattern.indexOf('*');
        if (star < 0) {
            return List.of(Path.of(pattern));
        }
        int slash = pattern.lastIndexOf('/', star);
        Path parent = Path.of(slash <= 0 ? "/" : pattern.substring(0, slash));
        String segmentPattern = pattern.substring(
                slash + 1, pattern.indexOf('/', star) < 0 ? pattern.length() : pattern.indexOf('/', star));
        String rest = pattern.indexOf('/', star) < 0 ? "" : pattern.substring(pattern.indexOf('/', star) + 1);
        java.nio.file.PathMatcher m = parent.getFileSystem().getPathMatcher("glob:" + segmentPattern);
        List<Path> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> entries = Files.list(parent)) {
            entries.filter(e -> m.matches(e.getFileName()))
                    .sorted()
                    .forEach(e -> out.add(rest.isEmpty() ? e : e.resolve(rest)));
        } catch (IOException e) {
            return List.of(); // a search directory that does not exist holds no tools
        }
        return out;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /**
     * Finds pg_dump and pg_restore in {@code binDir} when given, else on {@code PATH}.
     *
     * @throws PgEngineException naming where it looked and how to fix it
     */
    public static PgTools locate(Optional<Path> binDir) {
        return new PgTools(find("pg_dump", binDir), find("pg_restore", binDir));
    }

    public Path pgDumpPath() {
        return pgDump;
    }

    public Path pgRestorePath() {
        return pgRestore;
    }

    // Read once per instance: discovery and per-server selection ask often, and each read runs the tool.
    private volatile ToolVersion pgDumpVersion;
    private volatile ToolVersion pgRestoreVersion;

    public ToolVersion pgDumpVersion() {
        ToolVersion v = pgDumpVersion;
        if (v == null) {
            v = pgDumpVersion = version(pgDump);
        }
        return v;
    }

    public ToolVersion pgRestoreVersion() {
        ToolVersion v = pgRestoreVersion;
        if (v == null) {
            v = pgRestoreVersion = version(pgRestore);
        }
        return v;
    }

    /** Checks both tools against the server; see {@link #requireCompatible(ToolVersion, int)}. */
    public void requireCompatible(int serverVersionNum) {
        requireCompatible(pgDumpVersion(), serverVersionNum);
        requireCompatible(pgRestoreVersion(), serverVersionNum);
    }

    /**
     * pg_dump refuses servers of a newer major version, and an older pg_restore cannot read a newer
     * archive, so the client's major must be at least the server's.
     */
    public static void requireCompatible(ToolVersion tool, int serverVersionNum) {
        // 9.6 counts as major 9 here: every supported pg_dump (10 and later) reads 9.x servers
        int serverMajor = serverVersionNum / 10000;
        if (tool.major() < serverMajor) {
            String server = serverVersionNum >= 100000
                    ? serverMajor + "." + serverVersionNum % 10000
                    : serverVersionNum / 10000 + "." + serverVersionNum / 100 % 100 + "." + serverVersionNum % 100;
            throw new PgEngineException(tool.executable().getFileName() + " " + tool.major() + "." + tool.minor()
                    + " at " + tool.executable() + " is older than the PostgreSQL server (" + server
                    + "); the client tools' major version must be " + serverMajor
                    + " or newer. Install the PostgreSQL " + serverMajor + " client tools (e.g. apt-get install"
                    + " postgresql-client-" + serverMajor + ") and put them first on PATH or point"
                    + " holdfast.pg.bin-dir at their directory.");
        }
    }

    /**
     * {@code pg_dump --schema-only --format=custom --snapshot=<id>}, streamed into {@code out}. The snapshot's
     * session must stay open until this returns.
     *
     * @throws PgEngineException when pg_dump fails, with the tail of its stderr
     */
    public RunResult dumpSchema(
            PgConnectionInfo db, String snapshotId, DumpFilter filter, Duration lockTimeout, OutputStream out) {
        List<String> cmd = new ArrayList<>(List.of(
                pgDump.toString(),
                "--schema-only",
                "--format=custom",
                "--no-password",
                "--snapshot=" + snapshotId,
                "--lock-wait-timeout=" + Math.max(1, lockTimeout.toMillis())));
        cmd.addAll(filter.args());
        RunResult r = run(cmd, db, null, out);
        if (r.exitCode() != 0) {
            throw new PgEngineException(
                    "pg_dump failed (exit " + r.exitCode() + "): " + r.stderr().strip());
        }
        return r;
    }

    /** {@code pg_restore --list} of an archive read from {@code archive}: the table of contents lines. */
    public List<String> list(InputStream archive) {
        java.io.ByteArrayOutputStream toc = new java.io.ByteArrayOutputStream();
        RunResult r = run(List.of(pgRestore.toString(), "--list"), null, archive, toc);
        if (r.exitCode() != 0) {
            throw new PgEngineException("pg_restore --list failed (exit " + r.exitCode() + "): "
                    + r.stderr().strip());
        }
        return toc.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /**
     * Applies one section of a custom-format archive to {@code target} with {@code --exit-on-error}, so
     * the first failing statement stops it (and, in a single transaction, undoes it).
     */
    public RunResult restore(PgConnectionInfo target, InputStream archive, Section section, RestoreOptions options) {
        List<String> cmd = restoreArgs(section, options);
        cmd.add("--no-password");
        // as a conninfo string, so a database name containing '=' is not mistaken for one
        String dbname = LibpqParams.fromJdbcUrl(target.jdbcUrl()).dbname();
        cmd.add("--dbname=dbname='" + dbname.replace("\\", "\\\\").replace("'", "\\'") + "'");
        RunResult r = run(cmd, target, archive, OutputStream.nullOutputStream());
        if (r.exitCode() != 0) {
            throw new PgEngineException("pg_restore --section=" + section.arg() + " failed (exit " + r.exitCode()
                    + "): " + r.stderr().strip());
        }
        return r;
    }

    /**
     * Writes one section as an SQL script instead of applying it, so the caller can run it in its own
     * transaction together with the data load.
     */
    public RunResult script(InputStream archive, Section section, RestoreOptions options, OutputStream sql) {
        List<String> cmd = restoreArgs(section, options);
        cmd.add("--file=-");
        RunResult r = run(cmd, null, archive, sql);
        if (r.exitCode() != 0) {
            throw new PgEngineException("pg_restore --section=" + section.arg() + " failed (exit " + r.exitCode()
                    + "): " + r.stderr().strip());
        }
        return r;
    }

    private List<String> restoreArgs(Section section, RestoreOptions options) {
        List<String> cmd =
                new ArrayList<>(List.of(pgRestore.toString(), "--exit-on-error", "--section=" + section.arg()));
        if (options.noOwner()) {
            cmd.add("--no-owner");
        }
        if (options.noPrivileges()) {
            cmd.add("--no-privileges");
        }
        if (options.singleTransaction()) {
            cmd.add("--single-transaction");
        }
        if (options.clean()) {
            // --if-exists: a target that lacks some of the objects is the normal case, not an error
            cmd.add("--clean");
            cmd.add("--if-exists");
        }
        return cmd;
    }

    /**
     * Runs a tool with stdin fed from {@code in} (or closed), stdout streamed into {@code out} and stderr
     * kept bounded. Connection settings travel in the environment; inherited PG* variables are dropped so
     * the tool connects where the caller said and nowhere else.
     */
    static RunResult run(List<String> command, PgConnectionInfo db, InputStream in, OutputStream out) {
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("PG"));
        Path passfile = null;
        Process p = null;
        try {
            if (db != null) {
                LibpqParams params = LibpqParams.fromJdbcUrl(db.jdbcUrl()).withLogin(db.user(), db.password());
                env.putAll(params.environment());
                if (params.password() != null && !params.password().isEmpty()) {
                    passfile = writePassfile(params);
                    env.put("PGPASSFILE", passfile.toString());
                }
            }
            if (in == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            p = pb.start();
            Process proc = p;
            BoundedTail stderr = new BoundedTail(STDERR_LIMIT);
            Thread errThread = start("stderr", () -> stderr.drain(proc.getErrorStream()));
            Thread inThread = null;
            IOException[] inFailure = new IOException[1];
            if (in != null) {
                inThread = start("stdin", () -> {
                    try (OutputStream stdin = proc.getOutputStream()) {
                        in.transferTo(stdin);
                    } catch (IOException e) {
                        // pg_restore stopping early (exit-on-error) closes the pipe; its exit code tells why
                        inFailure[0] = e;
                    }
                });
            }
            long bytes = 0;
            byte[] buf = new byte[CopyStreamer.DEFAULT_BUFFER_SIZE];
            try (InputStream stdout = p.getInputStream()) {
                int n;
                while ((n = stdout.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    bytes += n;
                }
            }
            out.flush();
            int exit = p.waitFor();
            errThread.join(TimeUnit.SECONDS.toMillis(10));
            if (inThread != null) {
                inThread.join(TimeUnit.SECONDS.toMillis(10));
            }
            return new RunResult(exit, bytes, stderr.text());
        } catch (IOException e) {
            throw new PgEngineException(
                    "Running " + Path.of(command.get(0)).getFileName() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgEngineException(
                    "Interrupted while running " + Path.of(command.get(0)).getFileName(), e);
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
            if (passfile != null) {
                try {
                    Files.deleteIfExists(passfile);
                } catch (IOException ignored) {
                    // the directory is private to this process' user; nothing better to do
                }
            }
        }
    }

    private static Thread start(String name, Runnable r) {
        Thread t = new Thread(r, "pg-tool-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** A libpq passfile line matching any host, port and database for this user. */
    static Path writePassfile(LibpqParams params) throws IOException {
        Path file = Files.createTempFile(
                "holdfast-pgpass-",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        String line =
                "*:*:*:" + escape(params.user() == null ? "*" : params.user()) + ":" + escape(params.password()) + "\n";
        Files.writeString(file, line, StandardCharsets.UTF_8);
        return file;
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    private static Path find(String tool, Optional<Path> binDir) {
        if (binDir.isPresent()) {
            Path p = binDir.get().resolve(tool);
            if (Files.isExecutable(p)) {
                return p;
            }
            throw new PgEngineException(tool + " not found in " + binDir.get() + " (holdfast.pg.bin-dir). Install the"
                    + " PostgreSQL client tools matching the server's major version, or fix the directory.");
        }
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new PgEngineException(tool + " not found on PATH (" + path + "). Install the PostgreSQL client tools"
                + " matching the server's major version (e.g. apt-get install postgresql-client-16) or set"
                + " holdfast.pg.bin-dir to their directory.");
    }

    private static ToolVersion version(Path executable) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        RunResult r = run(List.of(executable.toString(), "--version"), null, null, out);
        String text = out.toString(StandardCharsets.UTF_8).strip();
        Matcher m = VERSION.matcher(text);
        if (r.exitCode() != 0 || !m.find()) {
            throw new PgEngineException("Could not read the version of " + executable + ": exit " + r.exitCode()
                    + ", output '" + text + "' " + r.stderr().strip());
        }
        return new ToolVersion(
                executable, Integer.parseInt(m.group(1)), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)), text);
    }

    /** Keeps the last {@code limit} bytes of a stream, so a chatty tool cannot exhaust memory. */
    private static final class BoundedTail {
        private final byte[] ring;
        private long total;

        BoundedTail(int limit) {
            ring = new byte[limit];
        }

        void drain(InputStream in) {
            byte[] buf = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (total++ % ring.length)] = buf[i];
                        }
                    }
                }
            } catch (IOException e) {
                // the pipe closes when the process dies; its exit code carries the failure
            }
        }

        synchronized String text() {
            int len = (int) Math.min(total, ring.length);
            byte[] out = new byte[len];
            long start = total - len;
            for (int i = 0; i < len; i++) {
                out[i] = ring[(int) ((start + i) % ring.length)];
            }
            String s = new String(out, StandardCharsets.UTF_8);
            return total > ring.length ? "..." + s : s;
        }
    }
}
