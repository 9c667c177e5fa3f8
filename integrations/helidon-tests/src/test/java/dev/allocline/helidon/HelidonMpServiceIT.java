package dev.allocline.helidon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
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
 * A Helidon MP 4.2 service (Jersey 3.1 under Helidon's WebServer, every request on a virtual thread) with only
 * {@code allocline-jersey} added and {@code AllocLineFeature} returned from its application's {@code getSingletons()},
 * over real HTTP on loopback, without allocline's agent: it starts on Helidon's own Jersey (allocline once brought
 * Jersey 4 and the service failed with {@code NoClassDefFoundError: .../InstanceBinding}), every request gets one
 * line, a 404 included, and since a virtual thread's counter cannot be read without the agent, each line says
 * {@code alloc_bytes=-1 alloc_unavailable=virtual_thread} rather than a wrong number.
 */
class HelidonMpServiceIT {

    static HelidonService service;

    @BeforeAll
    static void start() {
        service = HelidonService.start();
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void theServiceRunsHelidonsJerseyNotOneAllocLineBrought() {
        String jersey = org.glassfish.jersey.internal.Version.getVersion();
        assertTrue(jersey.startsWith("3.1."), "Helidon 4.2's Jersey 3.1, found " + jersey);
        String location = org.glassfish.jersey.server.ResourceConfig.class.getProtectionDomain().getCodeSource()
                .getLocation().toString();
        assertTrue(location.contains("jersey-server-3.1."), location);
    }

    @Test
    void everyRequestGetsOneLineA404Included() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        int before = ServiceApplication.LINES.count();
        for (int i = 0; i < 30; i++) {
            String id = "each-" + i;
            ids.add(id);
            calls.add(service.get(i % 3 == 0 ? "no/such/route" : "alloc/1", id));
        }
        for (int i = 0; i < calls.size(); i++) {
            HttpResponse<String> r = calls.get(i).get(30, TimeUnit.SECONDS);
            assertEquals(i % 3 == 0 ? 404 : 200, r.statusCode(), r.body());
        }
        for (int i = 0; i < ids.size(); i++) {
            CanonicalLine l = ServiceApplication.LINES.await(ids.get(i));
            assertEquals(i % 3 == 0 ? 404 : 200, l.status(), () -> CanonicalLineFormat.logfmt(l));
            assertEquals(i % 3 == 0 ? "" : "/alloc/{mib}", l.httpRoute(), () -> CanonicalLineFormat.logfmt(l));
        }
        assertEquals(before + ids.size(), ServiceApplication.LINES.count(), "one line per request, no other");
    }

    @Test
    void aRequestOnHelidonsVirtualThreadSaysWhyItHasNoFigure() throws Exception {
        HttpResponse<String> r = service.get("alloc/8", "virtual-no-agent").get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("virtual=true", r.body(), "Helidon 4 runs every request on a virtual thread");
        CanonicalLine l = ServiceApplication.LINES.await("virtual-no-agent");
        assertEquals(-1, l.allocatedBytes(), () -> CanonicalLineFormat.logfmt(l));
        assertEquals(Optional.of("virtual_thread"), l.allocUnavailableReason(), () -> CanonicalLineFormat.logfmt(l));
        String text = CanonicalLineFormat.logfmt(l);
        assertTrue(text.contains(" alloc_bytes=-1 alloc_unavailable=virtual_thread"), text);
    }

    @Test
    void theDefaultSinkNeedsALoggingApiHelidonDoesNotBring() {
        // Helidon MP logs through java.util.logging: no Log4j2, no SLF4J on its class path, so build() refuses
        // rather than drop every line; a service passes a sink or adds SLF4J 2 with a backend.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AllocLineFeature.builder().build());
        assertTrue(e.getMessage().contains("defaultSink"), e.getMessage());
    }
}
