package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code quarkus.allocline.enabled=false}: the application answers as without the extension, and no line. */
class DisabledTest {

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(CapturedLines.class, CapturedLines.Captured.class,
                    Allocating.class, Allocating.Allocation.class, Allocating.Conflict.class,
                    Allocating.ConflictMapper.class, Allocating.AllocationWriter.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.allocline.enabled", "false")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id");

    static final CapturedLines LINES = CapturedLines.attach();

    @TestHTTPResource("/")
    URI base;

    @Test
    void requestsAreAnsweredAsUsualAndGetNoLine() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> worker = http.send(HttpRequest.newBuilder(base.resolve("alloc/worker/1"))
                .header("X-Request-Id", "off-1").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, worker.statusCode());
        assertEquals("ok", worker.body());
        assertTrue(worker.headers().firstValue("X-Request-Id").isEmpty(), "no id header when off");
        HttpResponse<String> loop = http.send(HttpRequest.newBuilder(base.resolve("alloc/suspended/1/10"))
                .header("X-Request-Id", "off-2").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("allocated 1", loop.body());
        assertEquals(404, http.send(HttpRequest.newBuilder(base.resolve("nowhere")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(0, LINES.all(l -> true).size(), "no line at all");
    }
}
