package dev.allocline.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.ContextResolver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ContainerResponse;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Question: on the incident's own path — a resource returning a large list written by Jackson as
 * indented JSON — what share of the request does the Feature cost? (Expected: negligible, because
 * its cost is per request and this request is expensive; the point is to show it where it matters.)
 *
 * <p>What could make the number lie: the rows are built per request inside the resource (as a query
 * would), so nothing is cached across invocations; the entity is fully written (to memory) before
 * the response is returned; the variants run in separate forks.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class IncidentBenchmark {

    /** Rows in the response: ~2 MB of indented JSON. */
    static final int ROWS = 10_000;

    /** Reads "rows" into maps and returns them, as the seed's endpoint did. */
    @Path("/queries")
    public static class Queries {
        @GET
        @Produces(MediaType.APPLICATION_JSON)
        public List<Map<String, Object>> rows() {
            List<Map<String, Object>> rows = new ArrayList<>(ROWS);
            for (int i = 0; i < ROWS; i++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", i);
                row.put("cluster_id", "c-" + (i % 40));
                row.put("database_name", "db-" + (i % 13));
                row.put("payload", "event " + i + " lorem ipsum dolor sit amet consectetur adipiscing elit");
                rows.add(row);
            }
            return rows;
        }
    }

    /** Indented output, as in the incident. */
    public static class Pretty implements ContextResolver<ObjectMapper> {
        private final ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        @Override
        public ObjectMapper getContext(Class<?> type) {
            return mapper;
        }
    }

    @Param({"baseline", "log4j_noop"})
    public String variant;

    private InProcessApp app;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        app = new InProcessApp(InProcessApp.Variant.valueOf(variant), "/queries", Queries.class, JacksonFeature.class,
                Pretty.class);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        app.close();
    }

    @Benchmark
    public ContainerResponse largeIndentedJson() throws Exception {
        return app.get();
    }
}
