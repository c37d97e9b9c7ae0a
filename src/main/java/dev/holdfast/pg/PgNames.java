package dev.holdfast.pg;

/** SQL identifier and literal quoting for statements the engine builds itself. */
public final class PgNames {

    private PgNames() {}

    /**
     * Always quotes, unlike {@code quote_ident}: quoting a name that needs none is harmless, while
     * guessing wrong about case folding or the reserved-word list corrupts the statement.
     */
    public static String quoteIdent(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains NUL");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** A standard-conforming string literal (the server default since 9.1). */
    public static String quoteLiteral(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal contains NUL");
        }
        return '\'' + value.replace("'", "''") + '\'';
    }

    /** A column list such as {@code ("id", "Order")}; empty input gives an empty string. */
    public static String columnList(java.util.List<String> columns) {
        if (columns.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(quoteIdent(columns.get(i)));
        }
        return sb.append(')').toString();
    }
}
