package dev.allocline.example;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code GET /health-checks/{name}}: the smallest request there is. */
@Path("/health-checks/{name}")
public class HealthChecksResource {

    private final Database database;

    @Inject
    public HealthChecksResource(Database database) {
        this.database = database;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> check(@PathParam("name") String name) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name);
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            out.put("status", "ok");
        } catch (SQLException e) {
            out.put("status", "database unavailable");
        }
        return out;
    }
}
