package dev.allocline.example;

import dev.allocline.AllocLine;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /queries}: the incident. It runs a query, reads every row into memory and returns them
 * as pretty-printed JSON, as the seed's API did. With no cap, a query over the whole table allocates
 * hundreds of MB in one request; {@code max_rows} (per request, or {@code ALLOCLINE_MAX_ROWS} for the
 * whole server) is the fix. It exists to reproduce an incident: keep the service on loopback. Its
 * queries run as a reader account that may only SELECT from {@code events}.
 */
@Path("/queries")
public class QueriesResource {

    /** The request body: {@code {"sql": "SELECT ...", "max_rows": 1000}}. */
    public static final class QueryRequest {
        public String sql;
        public Integer max_rows;
    }

    /** The server-wide cap ({@code ALLOCLINE_MAX_ROWS}); 0 is unbounded. */
    public record RowCap(int maxRows) {
    }

    private final Database database;
    private final int serverMaxRows;

    @Inject
    public QueriesResource(Database database, RowCap cap) {
        this.database = database;
        this.serverMaxRows = cap.maxRows();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> run(QueryRequest request) throws SQLException {
        if (request == null || request.sql == null) {
            throw new BadRequestException("body must be {\"sql\": \"SELECT ...\"}");
        }
        String sql = request.sql.trim();
        // A demo: one read-only SELECT, nothing else.
        if (!sql.toLowerCase(Locale.ROOT).startsWith("select ") || sql.contains(";")) {
            throw new BadRequestException("only a single SELECT statement is allowed");
        }
        int cap = effectiveCap(request.max_rows);
        AllocLine.put("sql_hash", sqlHash(sql));
        List<Map<String, Object>> rows = new ArrayList<>();
        // The reader account may only SELECT from events: H2 refuses FILE_READ, CSVWRITE, LINK_SCHEMA and
        // every other function that touches files to a user without admin rights (setReadOnly stops none).
        try (Connection c = database.connectAsReader()) {
            c.setReadOnly(true);
            try (Statement s = c.createStatement()) {
                if (cap > 0) {
                    s.setMaxRows(cap);
                }
                try (ResultSet rs = s.executeQuery(sql)) {
                    ResultSetMetaData md = rs.getMetaData();
                    int n = md.getColumnCount();
                    String[] labels = new String[n];
                    for (int i = 0; i < n; i++) {
                        labels[i] = md.getColumnLabel(i + 1).toLowerCase(Locale.ROOT);
                    }
                    while (rs.next()) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        for (int i = 0; i < n; i++) {
                            row.put(labels[i], rs.getObject(i + 1));
                        }
                        rows.add(row);
                    }
                }
            }
        } catch (SQLException e) {
            AllocLine.put("rows", rows.size());
            throw new BadRequestException("query refused: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        AllocLine.put("rows", rows.size());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("row_count", rows.size());
        out.put("max_rows", cap);
        out.put("rows", rows);
        return out;
    }

    /** A short, stable fingerprint of the statement: searchable on the line without logging the SQL. */
    static String sqlHash(String sql) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(sql.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private int effectiveCap(Integer requested) {
        int r = requested == null || requested <= 0 ? 0 : requested;
        if (serverMaxRows > 0) {
            return r == 0 ? serverMaxRows : Math.min(r, serverMaxRows);
        }
        return r;
    }
}
