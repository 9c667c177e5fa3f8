package dev.allocline.helidon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same Helidon MP service in a JVM started with {@code -javaagent:} the agent jar this build made (system property
 * {@code allocline.agent}) and nothing else changed: a request on Helidon's virtual threads reads its real bytes, within
 * [N MiB, N MiB + 256 KiB] for a request allocating N MiB, also with many requests in flight at once.
 */
class HelidonMpWithAgentIT {

    static final long SLACK = 256 * 1024;

    static HelidonService service;

    @BeforeAll
    static void start() throws Exception {
        String agent = System.getProperty("allocline.agent");
        assertTrue(ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-javaagent:" + agent),
                "this JVM runs with the agent jar of this build: " + ManagementFactory.getRuntimeMXBean().getInputArguments());
        service = HelidonService.start();
        warmUp();
    }

    /**
     * First requests load and initialise classes (Jersey's, Helidon's, the JDK's) on their own threads, which is their
     * work but not the resource's: warm up, one at a time and then many at once, before any figure is checked.
     */
    private static void warmUp() throws Exception {
        for (int i = 0; i < 8; i++) {
            assertEquals(200, service.get("alloc/1", "warm-" + i).get(30, TimeUnit.SECONDS).statusCode());
        }
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            calls.add(service.get("alloc/1", "warm-many-" + i));
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertEquals(200, c.get(60, TimeUnit.SECONDS).statusCode());
        }
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void aRequestAllocating8MiBReadsItsBytesOnAVirtualThread() throws Exception {
        HttpResponse<String> r = service.get("alloc/8", "agent-8").get(30, TimeUnit.SECONDS);
        assertEquals("virtual=true", r.body(), "Helidon 4 runs every request on a virtual thread");
        assertExact(8, ServiceApplication.LINES.await("agent-8"));
    }

    @Test
    void concurrentRequestsEachReadTheirOwnBytes() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            calls.add(service.get(i % 2 == 0 ? "alloc/8" : "alloc/0", "many-" + i));
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(60, TimeUnit.SECONDS);
            assertEquals("virtual=true", r.body());
        }
        List<CanonicalLine> lines = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            lines.add(ServiceApplication.LINES.await("many-" + i));
        }
        System.out.println("concurrent figures: " + lines.stream().map(l -> l.httpPath() + "=" + l.allocatedBytes()).toList());
        for (int i = 0; i < lines.size(); i++) {
            assertExact(i % 2 == 0 ? 8 : 0, lines.get(i));
        }
    }

    private static void assertExact(int mib, CanonicalLine l) {
        String text = CanonicalLineFormat.logfmt(l);
        assertEquals(Optional.empty(), l.allocUnavailableReason(), text);
        assertTrue(l.allocatedBytes() >= mib * Api.MIB && l.allocatedBytes() <= mib * Api.MIB + SLACK,
                "within [" + mib + " MiB, " + mib + " MiB + 256 KiB]: " + text);
    }
}
