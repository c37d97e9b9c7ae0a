package dev.holdfast.source;

import dev.holdfast.config.HoldfastConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The databases and media roots this service may back up, by name. With no database configured,
 * the service's own datasource is the source {@code default} (its catalog schema is excluded from
 * every backup and restore).
 */
@ApplicationScoped
public class SourceRegistry {
    /** Name of the implicit database source when none is configured. */
    public static final String DEFAULT = "default";

    @Inject
    HoldfastConfig config;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String ownUrl;

    @ConfigProperty(name = "quarkus.datasource.username")
    Optional<String> ownUser;

    @ConfigProperty(name = "quarkus.datasource.password")
    Optional<String> ownPassword;

    /** Connection details of a database source. The password never leaves this record's users. */
    public record DatabaseSource(String name, String jdbcUrl, Optional<String> username, Optional<String> password) {
        /** How the engine connects to this source. */
        public dev.holdfast.pg.PgConnectionInfo connectionInfo() {
            return new dev.holdfast.pg.PgConnectionInfo(jdbcUrl, username.orElse(null), password.orElse(null));
        }

        /** The database name in {@link #jdbcUrl}. */
        public String databaseName() {
            return dev.holdfast.pg.LibpqParams.fromJdbcUrl(jdbcUrl).dbname();
        }

        @Override
        public String toString() {
            return "DatabaseSource[" + name + ", " + redact(jdbcUrl) + "]";
        }
    }

    /** A media root. */
    public record MediaSource(String name, Path path, List<String> include, List<String> exclude) {}

    /** All database sources, sorted by name. */
    public Map<String, DatabaseSource> databases() {
        Map<String, DatabaseSource> out = new TreeMap<>();
        if (config.databases().isEmpty()) {
            out.put(DEFAULT, new DatabaseSource(DEFAULT, ownUrl, ownUser, ownPassword));
        } else {
            config.databases()
                    .forEach((name, db) ->
                            out.put(name, new DatabaseSource(name, db.jdbcUrl(), db.username(), db.password())));
        }
        return out;
    }

    /** All media roots, sorted by name. */
    public Map<String, MediaSource> media() {
        Map<String, MediaSource> out = new TreeMap<>();
        config.media()
                .forEach((name, m) -> out.put(
                        name,
                        new MediaSource(
                                name,
                                Path.of(m.path()),
                                m.include().orElse(List.of()),
                                m.exclude().orElse(List.of()))));
        return out;
    }

    /**
     * The recovery objectives of every source that has one ({@code holdfast.sources."<name>".objectives.*}), by
     * name.
     *
     * @throws IllegalStateException naming the key when it names no configured source
     */
    public Map<String, HoldfastConfig.Objectives> objectives() {
        java.util.Set<String> names = new java.util.TreeSet<>(databases().keySet());
        names.addAll(media().keySet());
        return objectives(config.sources(), names);
    }

    /** The objectives set in {@code settings}, each checked to name one of {@code sources}. */
    static Map<String, HoldfastConfig.Objectives> objectives(
            Map<String, HoldfastConfig.SourceSettings> settings, java.util.Set<String> sources) {
        Map<String, HoldfastConfig.Objectives> out = new TreeMap<>();
        settings.forEach((name, s) -> {
            if (!sources.contains(name)) {
                throw new IllegalStateException("holdfast.sources.\"" + name + "\" names no configured source; "
                        + "configured: " + new java.util.TreeSet<>(sources));
            }
            HoldfastConfig.Objectives o = s.objectives();
            if (o.rpo().isPresent() || o.rto().isPresent()) {
                out.put(name, o);
            }
        });
        return out;
    }

    /** A misspelt source name under {@code holdfast.sources} stops the start, not the first report. */
    void check(@Observes StartupEvent ev) {
        objectives();
    }

    /** Removes credentials from a JDBC URL (query parameters such as password=...). */
    public static String redact(String jdbcUrl) {
        if (jdbcUrl == null) {
            return null;
        }
        return jdbcUrl.replaceAll(
                "(?i)([?&;](?:[a-z]*password|[a-z]*secret|[a-z]*key|user|sslkey)[a-z]*=)[^&;]*", "$1***");
    }
}
