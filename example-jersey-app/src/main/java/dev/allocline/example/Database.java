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

    /** The account user queries run as, on H2: it may SELECT from events and nothing else. */
    static final String READER = "ALLOCLINE_READER";

    private final String url;
    private final String user;
    private final String password;
    /** A fresh random password per start: the reader account is only ever used from this process. */
    private final String readerPassword = java.util.UUID.randomUUID().toString();
    private volatile boolean readerReady;

    /** A database at {@code url}; nothing is opened until {@link #seed} or a query (the benchmarks run it too). */
    public Database(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /**
     * A connection for statements that come from a client. On H2 it is the reader account, without
     * admin rights, so FILE_READ, CSVWRITE, LINK_SCHEMA and the other file functions are refused; on
     * another database, point {@code ALLOCLINE_JDBC_USER} at a read-only account.
     */
    Connection connectAsReader() throws SQLException {
        // Without the URL's settings (DB_CLOSE_DELAY=-1, ...): H2 lets only admins change them on connect.
        return readerReady ? DriverManager.getConnection(url.split(";", 2)[0], READER, readerPassword) : connect();
    }

    /** Creates and fills {@code events} when it does not exist yet; returns the row count. */
    public long seed(int rows) throws SQLException {
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
            if (url.startsWith("jdbc:h2:")) {
                s.execute("CREATE USER IF NOT EXISTS " + READER + " PASSWORD '" + readerPassword + "'");
                s.execute("ALTER USER " + READER + " SET PASSWORD '" + readerPassword + "'");
                s.execute("GRANT SELECT ON events TO " + READER);
                readerReady = true;
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
