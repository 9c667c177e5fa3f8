package dev.allocline.example;

import dev.allocline.AllocLine;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /clusters/{cluster_id}/databases}: a normal, small request (with an optional slow path). */
@Path("/clusters/{cluster_id}")
public class ClustersResource {

    private final Database database;

    @Inject
    public ClustersResource(Database database) {
        this.database = database;
    }

    @GET
    @Path("databases")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> databases(@PathParam("cluster_id") String clusterId, @QueryParam("slow_ms") int slowMs)
            throws SQLException, InterruptedException {
        AllocLine.put("cluster_id", clusterId);
        if (slowMs > 0) {
            Thread.sleep(Math.min(slowMs, 5_000)); // the slow path: slow, but not allocating
        }
        List<String> names = new ArrayList<>();
        try (Connection c = database.connect();
             PreparedStatement p = c.prepareStatement(
                     "SELECT DISTINCT database_name FROM events WHERE cluster_id = ? ORDER BY database_name")) {
            p.setString(1, clusterId);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        if (names.isEmpty()) {
            throw new NotFoundException("no cluster " + clusterId);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster_id", clusterId);
        out.put("databases", names);
        return out;
    }
}
