package dev.holdfast.restore;

import dev.holdfast.config.HoldfastConfig;
import dev.holdfast.pg.ConnectionFactory;
import dev.holdfast.pg.LibpqParams;
import dev.holdfast.pg.PgConnectionInfo;
import dev.holdfast.source.SourceRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Where a restore may write: resolves a request's database and media targets, refuses any outside the
 * configured sources and the configured target patterns and prefixes (a 400 naming the rule), and says which
 * configured source a target is, so that its pre-restore backup covers it. Checked when the restore is
 * requested and again by its job before it touches anything.
 */
@ApplicationScoped
public class RestoreTargets {
    /** Databases that are never a restore target, whatever is configured. */
    static final Set<String> NEVER = Set.of("postgres", "template0", "template1");

    static final String DATABASE_TARGETS_KEY = "holdfast.restore.database-targets";
    static final String MEDIA_TARGETS_KEY = "holdfast.restore.media-targets";

    @Inject
    SourceRegistry sources;

    @Inject
    HoldfastConfig config;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String catalogUrl;

    /**
     * A database a restore writes into.
     *
     * @param source the backup's database source restored into it
     * @param info how to connect to it
     * @param database its name
     * @param asSource the configured source it is (by database name on the same server), or null
     * @param exists whether it exists now
     * @param holdsData whether it holds any table, sequence, view or foreign table now
     */
    public record DatabaseTarget(
            String source, PgConnectionInfo info, String database, String asSource, boolean exists, boolean holdsData) {
        /** Whether changing it cannot be undone unless a pre-restore backup can cover it. */
        boolean needsUncoveredChange() {
            return asSource == null && holdsData;
        }

        /** This target with its sessions named {@code applicationName} (see PgConnectionInfo#withApplicationName). */
        public DatabaseTarget named(String applicationName) {
            return new DatabaseTarget(
                    source, info.withApplicationName(applicationName), database, asSource, exists, holdsData);
        }
    }

    /**
     * A directory a media restore writes into.
     *
     * @param source the backup's media source restored into it
     * @param path its absolute path
     * @param asSource the configured media root it is, or null
     * @param holdsData whether it exists and is not empty now
     */
    public record MediaTarget(String source, Path path, SourceRegistry.MediaSource asSource, boolean holdsData) {
        boolean needsUncoveredChange() {
            return asSource == null && holdsData;
        }
    }

    /**
     * Resolves where database source {@code source} of a backup is restored: its own database, or
     * {@code target} on the same server. {@code mode} is {@code replace} or {@code clean}.
     */
    public DatabaseTarget database(String source, String target, String mode) {
        SourceRegistry.DatabaseSource src = sources.databases().get(source);
        if (src == null) {
            throw new InvalidRestoreRequest(
                    "databases",
                    "database source '" + source + "' is not configured " + "here, so there is nowhere to restore it");
        }
        String field = target == null ? "databases" : "target";
        String name = target == null ? src.databaseName() : target;
        String server = server(src.jdbcUrl());
        String asSource = null;
        for (SourceRegistry.DatabaseSource s : sources.databases().values()) {
            if (server.equals(server(s.jdbcUrl())) && name.equals(s.databaseName())) {
                asSource = s.name();
                break;
            }
        }
        if (NEVER.contains(name)) {
            throw new InvalidRestoreRequest(
                    field, "'" + name + "' is a template or the maintenance database, " + "never a restore target");
        }
        // By name on any server: two spellings of one host (name, address) must not let the catalog through.
        if (name.equals(LibpqParams.fromJdbcUrl(catalogUrl).dbname())) {
            if (asSource == null) {
                throw new InvalidRestoreRequest(
                        field,
                        "'" + name + "' is Holdfast's own catalog database, "
                                + "never a restore target unless it is a configured source");
            }
            if ("clean".equals(mode)) {
                throw new InvalidRestoreRequest(
                        "restore_mode",
                        "'" + name + "' (source " + asSource + ") is "
                                + "Holdfast's own catalog database: a clean restore would recreate it; restore it in "
                                + "replace mode");
            }
        }
        if (asSource == null && !matches(name)) {
            throw new InvalidRestoreRequest(
                    field,
                    "'" + name + "' is neither a configured source's database on " + "this server nor matches "
                            + DATABASE_TARGETS_KEY + " " + patterns());
        }
        PgConnectionInfo info =
                target == null ? src.connectionInfo() : src.connectionInfo().withDatabase(target);
        boolean exists;
        boolean holdsData;
        try (Connection c = src.connectionInfo()
                        .withDatabase(DatabaseRestore.MAINTENANCE_DB)
                        .open(ConnectionFactory.driverManager());
                PreparedStatement ps =
                        c.prepareStatement("SELECT datistemplate, datallowconn FROM pg_database WHERE datname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
                if (exists && rs.getBoolean(1)) {
                    throw new InvalidRestoreRequest(
                            field,
                            "'" + name + "' is a template database " + "(datistemplate), never a restore target");
                }
                // A database nobody may connect to cannot be looked into: count it as holding data.
                holdsData = exists && (!rs.getBoolean(2) || holdsData(info));
            }
        } catch (SQLException e) {
            throw new RestoreRefused("Cannot check the restore target '" + name + "' on the server of source " + source
                    + ": " + e.getMessage());
        }
        return new DatabaseTarget(source, info, name, asSource, exists, holdsData);
    }

    private static boolean holdsData(PgConnectionInfo db) throws SQLException {
        try (Connection c = db.open(ConnectionFactory.driverManager());
                PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n "
                        + "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm', 'S', 'v', 'f') "
                        + "AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%')");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Resolves where media source {@code source} of a backup is restored: its configured root, or
     * {@code mediaTarget}, which must be a configured root or a directory strictly below one of
     * {@code holdfast.restore.media-targets}, spelt as its real path.
     */
    public MediaTarget media(String source, String mediaTarget) {
        if (mediaTarget == null) {
            SourceRegistry.MediaSource src = sources.media().get(source);
            if (src == null) {
                throw new InvalidRestoreRequest(
                        "media_target", "media root '" + source + "' is not configured " + "here; give media_target");
            }
            Path p = src.path().toAbsolutePath().normalize();
            return new MediaTarget(source, p, src, nonEmpty(p));
        }
        String why = unsafe(mediaTarget);
        if (why != null) {
            throw new InvalidRestoreRequest("media_target", why);
        }
        Path path = Path.of(mediaTarget);
        why = symlinkOnTheWay(path);
        if (why != null) {
            throw new InvalidRestoreRequest("media_target", why);
        }
        for (SourceRegistry.MediaSource m : sources.media().values()) {
            Path root = real(m.path());
            if (path.equals(root) || path.equals(m.path().toAbsolutePath().normalize())) {
                return new MediaTarget(source, path, m, nonEmpty(path));
            }
        }
        List<String> prefixes = config.restore().mediaTargets().orElse(List.of());
        boolean under =
                prefixes.stream().map(p -> real(Path.of(p))).anyMatch(p -> path.startsWith(p) && !path.equals(p));
        if (!under) {
            throw new InvalidRestoreRequest(
                    "media_target",
                    "'" + mediaTarget + "' is neither a configured media " + "root nor a directory below one of "
                            + MEDIA_TARGETS_KEY + " " + prefixes);
        }
        for (SourceRegistry.MediaSource m : sources.media().values()) {
            overlap(path, real(m.path()), "media root '" + m.name() + "'");
        }
        overlap(path, real(Path.of(config.storage().local().root())), "the archive storage root");
        return new MediaTarget(source, path, null, nonEmpty(path));
    }

    private static void overlap(Path target, Path other, String what) {
        if (target.startsWith(other) || other.startsWith(target)) {
            throw new InvalidRestoreRequest(
                    "media_target",
                    "'" + target + "' overlaps " + what + " (" + other
                            + "); a media target must be a directory of its own");
        }
    }

    /** Why a media_target string is not an absolute, normal path, or null. */
    static String unsafe(String p) {
        if (p.isEmpty()) {
            return "must not be empty";
        }
        if (!p.startsWith("/")) {
            return "must be an absolute path (got '" + p + "')";
        }
        if (p.indexOf('\0') >= 0) {
            return "must not contain NUL";
        }
        if (p.equals("/")) {
            return "must not be the filesystem root";
        }
        String[] segs = p.substring(1).split("/", -1);
        for (String s : segs) {
            if (s.isEmpty()) {
                return "must not contain an empty path segment ('//' or a trailing '/')";
            }
            if (s.equals("..") || s.equals(".")) {
                return "must not contain a '" + s + "' segment";
            }
        }
        return null;
    }

    /** The first existing component of an absolute path that is a link or not a directory, as a reason, or null. */
    static String symlinkOnTheWay(Path path) {
        Path p = path.getRoot();
        int n = path.getNameCount();
        for (int i = 0; i < n; i++) {
            p = p.resolve(path.getName(i));
            if (Files.isSymbolicLink(p)) {
                return "'" + p + "' is a symbolic link; a media target is named by its real path, with no link on "
                        + "the way";
            }
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return "'" + p + "' exists and is not a directory";
            }
        }
        return null;
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs;
        }
    }

    private static boolean nonEmpty(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            return ds.iterator().hasNext();
        } catch (IOException e) {
            return true;
        }
    }

    private List<String> patterns() {
        return config.restore().databaseTargets().orElse(List.of());
    }

    private boolean matches(String name) {
        for (String p : patterns()) {
            if (glob(p).matcher(name).matches()) {
                return true;
            }
        }
        return false;
    }

    /** {@code *} any run of characters, {@code ?} one; everything else literal. */
    static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        for (char ch : pattern.toCharArray()) {
            re.append(ch == '*' ? ".*" : ch == '?' ? "." : Pattern.quote(String.valueOf(ch)));
        }
        return Pattern.compile(re.toString());
    }

    /** Host and port list of a JDBC URL, loopback spellings made one, so two URLs compare by server. */
    static String server(String jdbcUrl) {
        LibpqParams p = LibpqParams.fromJdbcUrl(jdbcUrl);
        StringBuilder out = new StringBuilder();
        String[] hosts = p.host().split(",");
        String[] ports = p.port().split(",");
        for (int i = 0; i < hosts.length; i++) {
            String h = hosts[i].toLowerCase(Locale.ROOT);
            if (h.equals("localhost") || h.equals("127.0.0.1") || h.equals("::1")) {
                h = "loopback";
            }
            out.append(h)
                    .append(':')
                    .append(i < ports.length ? ports[i] : "5432")
                    .append(',');
        }
        return out.toString();
    }
}
