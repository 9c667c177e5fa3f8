package dev.allocline.jersey;

import dev.allocline.AllocLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.glassfish.jersey.server.ManagedAsync;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A request's work on every thread it touches is counted, and only that work. */
class ThreadHopTest {

    static final ExecutorService APP_POOL = Executors.newFixedThreadPool(2);

    @Path("/hop")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class HopResource {

        @GET
        @Path("managed/{bytes}")
        @ManagedAsync
        public String managed(@PathParam("bytes") long bytes) {
            Allocate.bytes(bytes);
            return "managed";
        }

        @GET
        @Path("managed-suspended/{bytes}")
        @ManagedAsync
        public void managedSuspended(@PathParam("bytes") long bytes, @Suspended AsyncResponse response) {
            Allocate.bytes(bytes);
            response.resume(new SerializationTest.Heavy(bytes));
        }

        /** Resumed from an unwrapped application thread; the entity is written on that thread. */
        @GET
        @Path("resumed/{bytes}")
        public void resumed(@PathParam("bytes") long bytes, @Suspended AsyncResponse response) {
            APP_POOL.execute(() -> response.resume(new SerializationTest.Heavy(bytes)));
        }

        /** Work on an unwrapped executor: not counted (the documented limit). */
        @GET
        @Path("unwrapped/{bytes}")
        public void unwrapped(@PathParam("bytes") long bytes, @Suspended AsyncResponse response) {
            APP_POOL.execute(() -> {
                Allocate.bytes(bytes);
                response.resume("unwrapped");
            });
        }

        /** Work on a wrapped executor, completing a returned stage: counted. */
        @GET
        @Path("stage/{bytes}")
        public CompletionStage<String> stage(@PathParam("bytes") long bytes) {
            return CompletableFuture.supplyAsync(() -> {
                Allocate.bytes(bytes);
                return "stage";
            }, AllocLine.wrap(APP_POOL));
        }

        /** A wrapped task whose result is written by Jersey on the completing thread. */
        @GET
        @Path("stage-entity/{bytes}")
        public CompletionStage<SerializationTest.Heavy> stageEntity(@PathParam("bytes") long bytes) {
            return CompletableFuture.supplyAsync(() -> new SerializationTest.Heavy(bytes), AllocLine.wrap(APP_POOL));
        }
    }

    static final LineCollector LINES = new LineCollector();
    static LoopbackServer server;

    @BeforeAll
    static void start() {
        server = LoopbackServer.start(Apps.withFeature(LINES, HopResource.class, SerializationTest.HeavyWriter.class));
        for (String p : new String[] {"managed", "managed-suspended", "resumed", "unwrapped", "stage", "stage-entity"}) {
            for (int i = 0; i < 30; i++) {
                server.get("/hop/" + p + "/1000");
            }
        }
        LINES.drain(Duration.ofMillis(300));
    }

    @AfterAll
    static void stop() {
        server.close();
        APP_POOL.shutdownNow();
    }

    private static CanonicalLine lineFor(String path) {
        CanonicalLine line = server.lineFor(LINES, path, 200);
        System.out.println("hop: " + path + " -> alloc_bytes=" + line.allocatedBytes() + " threads=" + line.allocThreads());
        return line;
    }

    private static void assertCounted(long n, CanonicalLine line) {
        assertTrue(line.allocatedBytes() >= n, () -> "at least " + n + ": " + line);
        assertTrue(line.allocatedBytes() <= n + AttributionTest.SLACK_BYTES, () -> "at most " + n + " + slack: " + line);
    }

    @Test
    void managedAsyncMethodWorkIsCounted() {
        long n = 8L << 20;
        CanonicalLine line = lineFor("/hop/managed/" + n);
        assertCounted(n, line);
        assertEquals(2, line.allocThreads(), "request thread and Jersey's managed executor thread");
    }

    @Test
    void managedAsyncWithSuspendedResponseCountsMethodAndWriter() {
        long n = 4L << 20;
        CanonicalLine line = lineFor("/hop/managed-suspended/" + n);
        assertCounted(2 * n, line);
    }

    @Test
    void resumeFromAnotherThreadCountsJerseysWorkThere() {
        long n = 8L << 20;
        CanonicalLine line = lineFor("/hop/resumed/" + n);
        assertCounted(n, line); // the writer ran on the resuming thread
        assertEquals(2, line.allocThreads());
    }

    @Test
    void returnedCompletionStageOnWrappedExecutorIsCounted() {
        long n = 8L << 20;
        assertCounted(n, lineFor("/hop/stage/" + n));
    }

    @Test
    void completionStageEntityIsWrittenAndCountedOnTheCompletingThread() {
        long n = 8L << 20;
        assertCounted(n, lineFor("/hop/stage-entity/" + n));
    }

    @Test
    void unwrappedExecutorWorkIsNotCounted() {
        long n = 8L << 20;
        CanonicalLine line = lineFor("/hop/unwrapped/" + n);
        assertTrue(line.allocatedBytes() < n, "documented limit: unwrapped executors are invisible: " + line);
    }

    @Test
    void wrapOutsideARequestRunsTheTaskUnchanged() {
        Runnable task = () -> { };
        assertTrue(AllocLine.wrap(task) == task);
    }
}
