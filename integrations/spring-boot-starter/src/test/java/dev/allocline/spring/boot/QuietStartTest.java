package dev.allocline.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.spring.boot.app.DemoApplication;
import dev.allocline.testing.ChildJvm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The starter's test application on Boot's default logging (Logback, and Log4j2's API bridged to SLF4J by Boot's own
 * {@code log4j-to-slf4j}), started in a JVM of its own, serving one request and stopping: its console holds the
 * canonical line and nothing else of allocline's, nothing about Log4j, nothing on stderr. Log4j2's API is Boot's here,
 * always, so this is not where its return would show (the Dropwizard bundle's {@code QuietStartTest} is): this catches
 * anything allocline itself would print while choosing its logging API or starting.
 */
class QuietStartTest {

    /** The application's JVM: start, one request, stop. */
    public static final class Service {
        public static void main(String[] args) throws Exception {
            try (ConfigurableApplicationContext context = SpringApplication.run(DemoApplication.class,
                    "--server.port=0", "--server.address=127.0.0.1", "--allocline.request-id-header=X-Request-Id")) {
                String port = context.getEnvironment().getProperty("local.server.port");
                HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/clusters/c-1"))
                                .header("X-Request-Id", "quiet-1").timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                System.out.println("quiet-start-test: status " + r.statusCode());
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
        assertTrue(lines.get(0).contains("canonical_api_line request_id=quiet-1 "), "the line, through Logback: " + lines.get(0));
        String all = (service.out() + service.err()).toLowerCase(Locale.ROOT);
        assertFalse(all.contains("log4j"), () -> "nothing about Log4j: " + service);
        assertTrue(service.err().isBlank(), () -> "nothing on stderr: " + service);
        // the service's own classes live in allocline's packages too: ChildJvm.linesNaming takes their names out
        assertEquals(List.of(), service.linesNaming("allocline", DemoApplication.class), () -> "nothing else of allocline's: " + service);
        // (Jersey's own WARN that WADL is off without JAXB is Jersey's on every Boot Jersey service, with or without allocline)
        List<String> errors = service.out().lines().filter(l -> l.contains(" ERROR ")).toList();
        assertEquals(List.of(), errors, () -> "no error at all: " + service);
    }
}
