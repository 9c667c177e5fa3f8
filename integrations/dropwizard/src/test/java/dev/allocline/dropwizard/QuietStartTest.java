package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.testing.ChildJvm;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * A Dropwizard 5 service (Jetty 12, Logback) with only {@code allocline-dropwizard} added, started in a JVM of its own
 * with Dropwizard's default console logging, serving one request and stopping: its console holds the canonical line
 * and nothing else of allocline's, and nothing caused by it. The regression this guards: allocline brought
 * {@code log4j-api}, Hibernate Validator's jboss-logging then probed Log4j and every start printed
 * {@code main ERROR Log4j API could not find a logging provider.} on stderr.
 */
class QuietStartTest {

    /** The service's JVM: start, one request, stop. */
    public static final class Service {
        public static void main(String[] args) throws Exception {
            DropwizardTestSupport<ClustersService.Config> app = new DropwizardTestSupport<>(ClustersService.class,
                    ResourceHelpers.resourceFilePath("allocline-console.yml"));
            app.before();
            try {
                HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.getLocalPort() + "/clusters/c-1"))
                                .header("X-Request-Id", "quiet-1").timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                System.out.println("quiet-start-test: status " + r.statusCode());
            } finally {
                app.after();
            }
        }
    }

    @Test
    void startingServingAndStoppingPrintsOnlyTheLine() throws Exception {
        ChildJvm service = ChildJvm.run(Service.class);
        assertEquals(0, service.exitCode(), service::toString);
        assertTrue(service.out().contains("quiet-start-test: status 200"), service::toString);
        List<String> lines = service.out().lines().filter(l -> l.contains("canonical_api_line")).toList();
        assertEquals(1, lines.size(), service::toString);
        assertTrue(lines.get(0).contains("dev.allocline.canonical: canonical_api_line request_id=quiet-1 "),
                "the line, through Logback: " + lines.get(0));
        String all = (service.out() + service.err()).toLowerCase(Locale.ROOT);
        assertFalse(all.contains("log4j"), () -> "nothing about Log4j: " + service);
        assertTrue(service.err().isBlank(), () -> "nothing on stderr: " + service);
        // the service's own classes live in allocline's packages too: ChildJvm.linesNaming takes their names out
        assertEquals(List.of(), service.linesNaming("allocline", ClustersService.class), () -> "nothing else of allocline's: " + service);
        List<String> errors = service.out().lines().filter(l -> l.contains("ERROR")).toList();
        assertEquals(List.of(), errors, () -> "no error at all: " + service);
    }
}
