package dev.holdfast.pg;

/** A backup or restore step against PostgreSQL failed; the message is meant for the operator as is. */
public class PgEngineException extends RuntimeException {

    private final String sqlState;

    public PgEngineException(String message) {
        this(message, null, null);
    }

    public PgEngineException(String message, Throwable cause) {
        this(message, null, cause);
    }

    public PgEngineException(String message, String sqlState, Throwable cause) {
        super(message, cause);
        this.sqlState = sqlState;
    }

    /** The server's SQLSTATE when the failure came from the server, else null. */
    public String sqlState() {
        return sqlState;
    }
}
