package dev.holdfast.pg;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** Opens JDBC connections for the engine, so the caller decides about pooling, drivers and properties. */
@FunctionalInterface
public interface ConnectionFactory {

    Connection open(String jdbcUrl, String user, String password) throws SQLException;

    /** Plain {@link DriverManager} connections; the snapshot needs dedicated, never pooled, sessions. */
    static ConnectionFactory driverManager() {
        return DriverManager::getConnection;
    }
}
