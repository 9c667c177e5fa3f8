package dev.allocline.example;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The example's database: an embedded H2 by default, seeded at start-up with an {@code events} table
 * large enough that reading all of it, as the incident's endpoint does, allocates hundreds of MB.
 */
public final class Database {

    private final String url;
    private final String user;
    private final String password;

    Database(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /** Creates and fills {@code events} when it does not exist yet; returns the row count. */
    long seed(int rows) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS events ("
                    + "id BIGINT PRIMARY KEY, cluster_id VARCHAR(32) NOT NULL, database_name VARCHAR(32) NOT NULL,"
                    + "created_at TIMESTAMP NOT NULL, kind VARCHAR(16) NOT NULL, payload VARCHAR(400) NOT NULL)");
            long existing = count(s);
            if (existing == 0 && rows > 0 && url.startsWith("jdbc:h2:")) {
                // One set-based statement: H2 generates the rows itself, ~1 s for 300k rows.
                try (PreparedStatement p = c.prepareStatement("INSERT INTO events "
                        + "SELECT X, 'c-' || MOD(X, 40), 'db-' || MOD(X * 7, 13),"
                        + " DATEADD('SECOND', X, TIMESTAMP '2026-01-01 00:00:00'),"
                        + " CASEWHEN(MOD(X, 3) = 0, 'write', 'read'),"
                        + " RPAD('event ' || X || ' from cluster c-' || MOD(X, 40) || ': ', 220, 'lorem ipsum dolor sit amet ')"
                        + " FROM SYSTEM_RANGE(1, ?)")) {
                    p.setInt(1, rows);
                    p.executeUpdate();
                }
                s.execute("CREATE INDEX IF NOT EXISTS events_cluster ON events(cluster_id)");
                existing = count(s);
            }
            return existing;
        }
    }

    private static long count(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM events")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
