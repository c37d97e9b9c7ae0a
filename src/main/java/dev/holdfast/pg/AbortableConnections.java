package dev.holdfast.pg;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A connection factory whose connections can all be aborted at once, from any thread: how a cancel or a
 * shutdown reaches a thread blocked on a server statement (a lock wait, an index build, a COPY), which no
 * checkpoint between statements can. Connections opened after {@link #abortAll} are not aborted: the work's own
 * clean-up (dropping a staging database, say) needs them, and its next checkpoint stops anything else.
 */
public final class AbortableConnections implements ConnectionFactory {
    private final ConnectionFactory delegate;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private volatile boolean aborted;

    public AbortableConnections(ConnectionFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public Connection open(String jdbcUrl, String user, String password) throws SQLException {
        Connection c = delegate.open(jdbcUrl, user, password);
        if (!aborted) {
            open.removeIf(AbortableConnections::closed);
            open.add(c);
        }
        return c;
    }

    /**
     * Closes every connection opened so far without waiting for the driver: their sockets close, every thread
     * blocked on one fails at once, and the server rolls back their transactions.
     */
    public void abortAll() {
        aborted = true;
        open.forEach(AbortableConnections::abort);
        open.clear();
    }

    private static void abort(Connection c) {
        try {
            c.abort(Runnable::run);
        } catch (SQLException | RuntimeException ignored) {
            // already closed: it holds nothing any more
        }
    }

    private static boolean closed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
