package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.lifecycle.Managed;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jfr.FlightRecorder;
import jdk.jfr.RecordingState;
import org.junit.jupiter.api.Test;

/**
 * The bundle's {@link Managed} ends allocline's background work with the service: after the application is
 * stopped, the threads allocline started for it have ended and its JFR recordings are closed.
 */
class AllocLineLifecycleTest {

    static Set<Thread> alloclineThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("allocline-"))
                .collect(Collectors.toSet());
    }

    static List<String> runningAlloclineRecordings() {
        return FlightRecorder.getFlightRecorder().getRecordings().stream()
                .filter(r -> r.getName().startsWith("allocline") && r.getState() == RecordingState.RUNNING)
                .map(r -> r.getName()).collect(Collectors.toList());
    }

    @Test
    void stoppingTheServiceEndsAlloclinesThreadsAndRecordings() throws Exception {
        Set<Thread> before = alloclineThreads();
        DropwizardAppExtension<ClustersService.Config> app = new DropwizardAppExtension<>(ClustersService.class,
                ResourceHelpers.resourceFilePath("allocline-profiles.yml"));
        app.before();
        Set<Thread> started;
        List<String> managed;
        try {
            managed = app.getEnvironment().lifecycle().getManagedObjects().stream().map(Object::toString)
                    .collect(Collectors.toList());
            HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.getLocalPort() + "/clusters/c-1"))
                            .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            started = alloclineThreads();
            started.removeAll(before);
            assertFalse(started.isEmpty(), () -> "profiles on: allocline's threads run, " + alloclineThreads());
            assertFalse(runningAlloclineRecordings().isEmpty(), "profiles on: the JFR recording runs");
        } finally {
            app.after();
        }
        for (Thread t : started) {
            t.join(Duration.ofSeconds(30).toMillis());
            assertFalse(t.isAlive(), () -> t.getName() + " still runs after the service stopped");
        }
        assertEquals(List.of(), runningAlloclineRecordings(), "recordings still running after the service stopped");
        assertTrue(managed.contains("allocline"), () -> "allocline is one of the service's Managed objects: " + managed);
    }
}
