package dev.allocline.quarkus.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/**
 * The same packaged application started with allocline's agent and nothing else added
 * ({@code java -javaagent:allocline-agent.jar -jar quarkus-run.jar}): a {@code @RunOnVirtualThread} request reads
 * its real bytes instead of {@code -1}, as exact as the same work on a worker thread. The agent jar is the one
 * this build made (system property {@code allocline.agent}).
 */
@EnabledForJreRange(min = JRE.JAVA_21)
class PackagedApplicationWithAgentIT {

    static PackagedApp app;

    @BeforeAll
    static void start() throws Exception {
        Path agent = Path.of(System.getProperty("allocline.agent"));
        assertTrue(Files.isRegularFile(agent), "the agent jar is built before this module: " + agent);
        app = PackagedApp.start("-javaagent:" + agent);
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.stop();
        }
    }

    @Test
    void aVirtualThreadRequestReadsItsBytesWithTheAgent() throws Exception {
        app.get("virtual", "virtual-warm-up");
        assertEquals("200 virtual", app.get("virtual", "virtual-agent"));
        Map<String, String> line = app.line("virtual-agent");
        assertNull(line.get("alloc_unavailable"), line.toString());
        assertEquals("/virtual", line.get("http_route"));
        PackagedApplicationIT.assertExact(2 * PackagedApplicationIT.MIB, line); // the resource allocates 2 MiB
        assertTrue(app.console().stream().noneMatch(l -> l.startsWith("allocline-agent:")),
                "the agent installed without a word: " + app.console());
    }

    @Test
    void aWorkerThreadRequestIsAsExactAsWithoutIt() throws Exception {
        app.get("reports/2", "agent-warm-up");
        assertEquals("200 report of 16 MiB", app.get("reports/16", "agent-report-16"));
        PackagedApplicationIT.assertExact(16 * PackagedApplicationIT.MIB, app.line("agent-report-16"));
    }
}
