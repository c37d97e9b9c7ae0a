package dev.holdfast.storage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every configured archive storage by name: the primary one, {@value #PRIMARY}, where backups are written, and the
 * named ones ({@code holdfast.storage."<name>".*}) that backups are copied to.
 */
public final class Storages {
    /** The name of the primary storage (the {@code holdfast.storage.*} keys themselves). */
    public static final String PRIMARY = "default";

    private final Map<String, ArchiveStorage> byName;

    /** {@code byName} must hold {@value #PRIMARY}; its order is kept (the primary first). */
    public Storages(Map<String, ArchiveStorage> byName) {
        if (!byName.containsKey(PRIMARY)) {
            throw new IllegalArgumentException("no primary storage");
        }
        this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    /** The storage every backup is written to. */
    public ArchiveStorage primary() {
        return byName.get(PRIMARY);
    }

    /** The storage of that name, if configured. */
    public Optional<ArchiveStorage> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** All names, the primary first. */
    public Set<String> names() {
        return byName.keySet();
    }

    /** All storages by name, the primary first. */
    public Map<String, ArchiveStorage> all() {
        return byName;
    }

    /** Where a storage keeps its archives, for logs and health data (no credentials). */
    public static String describe(ArchiveStorage s) {
        if (s instanceof S3ArchiveStorage s3) {
            return s3.location();
        }
        if (s instanceof LocalArchiveStorage local) {
            return local.root().toString();
        }
        return s.getClass().getSimpleName();
    }
}
