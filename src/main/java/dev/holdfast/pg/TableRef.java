package dev.holdfast.pg;

import java.util.Comparator;
import java.util.Objects;

/** A schema-qualified table name, ordered by schema then name so every derived list is deterministic. */
public record TableRef(String schema, String name) implements Comparable<TableRef> {

    private static final Comparator<TableRef> ORDER =
            Comparator.comparing(TableRef::schema).thenComparing(TableRef::name);

    public TableRef {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    /** The name as SQL, both parts always quoted so mixed case and reserved words survive. */
    public String sql() {
        return PgNames.quoteIdent(schema) + "." + PgNames.quoteIdent(name);
    }

    /** Unquoted {@code schema.name}, the form selection patterns are matched against. */
    public String dotted() {
        return schema + "." + name;
    }

    @Override
    public int compareTo(TableRef other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return sql();
    }
}
