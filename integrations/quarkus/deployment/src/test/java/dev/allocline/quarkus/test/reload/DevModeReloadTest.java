package dev.allocline.quarkus.test.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.QuarkusDevModeTest;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.logging.LogRecord;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dev mode: a reload (an edited resource) gets a new application with new Quarkus REST resources; allocline's route
 * names must belong to the running application, so a reload drops them with the rest of it (a static map keyed by
 * Quarkus REST's {@code RuntimeResource} kept every replaced resource, and with it the classes it refers to). The lines
 * are read as text: the application's classes are not the test's.
 */
class DevModeReloadTest {

    static final int PORT = freePort();

    @RegisterExtension
    static final QuarkusDevModeTest APP = new QuarkusDevModeTest()
            .withApplicationRoot(jar -> jar.addClass(Reloaded.class)
                    .addAsResource(new org.jboss.shrinkwrap.api.asset.StringAsset(
                            "quarkus.http.port=" + PORT + "\nquarkus.allocline.request-id-header=X-Request-Id\n"),
                            "application.properties"))
            .setLogRecordPredicate(r -> r.getLoggerName() != null && r.getLoggerName().startsWith("dev.allocline"));

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aReloadKeepsNoRouteOfTheOldApplicationAndItsLinesCarryTheNewRoute() throws Exception {
        assertEquals(200, get("reloaded/before/1", "before-reload").statusCode());
        assertTrue(lineOf("before-reload").contains(" http_route=/reloaded/before/{n} "), lineOf("before-reload"));
        @SuppressWarnings("unchecked")
        WeakReference<ClassLoader> before = (WeakReference<ClassLoader>) System.getProperties()
                .get(Reloaded.LOADER + "before");
        WeakReference<?> resourceBefore = (WeakReference<?>) System.getProperties().get(Reloaded.RESOURCE + "before");
        assertNotNull(resourceBefore.get(), "the first version recorded its resource");

        APP.modifySourceFile(Reloaded.class, s -> s.replace("/before/{n}", "/after/{n}")
                .replace("+ \"before\"", "+ \"after\"").replace("version before", "version after"));
        HttpResponse<String> r = get("reloaded/after/2", "after-reload"); // dev mode reloads on this request
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("version after, 2", r.body());
        assertTrue(lineOf("after-reload").contains(" http_route=/reloaded/after/{n} "), lineOf("after-reload"));
        @SuppressWarnings("unchecked")
        WeakReference<ClassLoader> after = (WeakReference<ClassLoader>) System.getProperties()
                .get(Reloaded.LOADER + "after");
        assertNotSame(before.get(), after.get(), "the second version answered from a class loader of its own");

        // The old version's resource is unreachable once nothing of the old application holds it. (Its class loader
        // stays reachable here after the reload through something that is not allocline's route names: not identified.)
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (resourceBefore.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(100);
            get("reloaded/after/3", null); // requests of the new version: nothing of the old one comes back
        }
        assertTrue(resourceBefore.get() == null, "the resource of the version before the reload is still reachable: "
                + resourceBefore.get());
    }

    HttpResponse<String> get(String path, String requestId) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + PORT + "/" + path))
                .timeout(Duration.ofSeconds(60));
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The text of the line with {@code requestId}, waiting up to 20 s for it. */
    static String lineOf(String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (LogRecord r : APP.getLogRecords()) {
                String text = r.getMessage();
                if (text != null && text.startsWith("canonical_api_line ") && text.contains(" request_id=" + requestId + " ")) {
                    return text + " ";
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no line for " + requestId + " within 20 s; records: "
                + APP.getLogRecords().stream().map(LogRecord::getMessage).collect(Collectors.toList()));
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
