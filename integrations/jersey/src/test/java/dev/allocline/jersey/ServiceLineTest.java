package dev.allocline.jersey;

import dev.allocline.AllocLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.ext.Provider;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.ThreadContext;
import org.glassfish.jersey.server.ManagedAsync;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The line is the service's own: fields from every thread the library follows, the request id in the
 * logging context of each of those threads, a trusted inbound id, and lines skipped on request.
 */
class ServiceLineTest {

    static final ExecutorService POOL = Executors.newSingleThreadExecutor();
    static final CompletableFuture<Boolean> LATE_PUT = new CompletableFuture<>();
    static final CountDownLatch LATE_GO = new CountDownLatch(1);
    static final List<String> CONTEXT_SEEN = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Path("/svc")
    public static final class Svc {
        @GET
        @Path("method")
        public String method() {
            assertTrue(AllocLine.put("user", "u-1"));
            assertTrue(AllocLine.put("rows", 42));
            assertTrue(AllocLine.put("rows", 43), "a later put replaces the value");
            return AllocLine.requestId().orElse("none") + " " + ThreadContext.get("request_id");
        }

        @GET
        @Path("managed")
        @ManagedAsync
        public String managed() {
            AllocLine.put("where", "managed");
            return AllocLine.requestId().orElse("none") + " " + ThreadContext.get("request_id");
        }

        @GET
        @Path("resumed")
        public void resumed(@Suspended AsyncResponse r) {
            POOL.execute(() -> r.resume("resumed")); // the response filter then runs on the pool thread
        }

        @GET
        @Path("wrapped")
        public void wrapped(@Suspended AsyncResponse r) {
            AllocLine.wrap(POOL).execute(() -> {
                AllocLine.put("where", "wrapped");
                CONTEXT_SEEN.add(ThreadContext.get("request_id") + " " + AllocLine.requestId().orElse("none"));
                r.resume("wrapped");
            });
        }

        @GET
        @Path("late")
        public String late() {
            AllocLine.wrap(POOL).execute(() -> {
                try {
                    LATE_GO.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                LATE_PUT.complete(AllocLine.put("late", 1));
            });
            return "late";
        }

        @GET
        @Path("bytes")
        public String bytes() {
            Allocate.bytes(4L << 20);
            return Long.toString(AllocLine.allocatedBytes().orElse(-1));
        }

        @GET
        @Path("rules")
        public String rules() {
            StringBuilder refused = new StringBuilder();
            for (String key : new String[] {"status", "alloc_bytes", "request_id", "trace_id", "Bad", "1x", "a-b", "",
                    "x".repeat(65)}) {
                if (!AllocLine.put(key, "v")) {
                    refused.append(key.length() > 20 ? "long" : key).append(',');
                }
            }
            for (int i = 0; i < 40; i++) {
                AllocLine.put("f" + i, i);
            }
            AllocLine.put("f0", "x".repeat(5000)); // replacing an existing key is allowed past the limit
            AllocLine.put("obj", new Object() {
                @Override
                public String toString() {
                    throw new IllegalStateException("boom");
                }
            });
            return refused.toString();
        }

        @GET
        @Path("numbers")
        public String numbers() {
            AtomicLong counted = new AtomicLong(7);
            LongAdder added = new LongAdder();
            added.add(8);
            AllocLine.put("atomic_long", counted);
            AllocLine.put("long_adder", added);
            AllocLine.put("atomic_int", new AtomicInteger(9));
            DoubleAdder half = new DoubleAdder();
            half.add(1.5);
            AllocLine.put("double_adder", half);
            AllocLine.put("custom", new Meters("12.5"));
            AllocLine.put("custom_words", new Meters("twelve"));
            counted.set(1000); // after the put: the line keeps the value it was given
            added.add(1000);
            return "ok";
        }

        @GET
        @Path("health")
        public String health(@QueryParam("fail") boolean fail, @QueryParam("mib") int mib) {
            Allocate.bytes(mib * (1L << 20));
            if (fail) {
                throw new IllegalStateException("unhealthy");
            }
            return "ok";
        }
    }

    /** A Number of the application's own. */
    static final class Meters extends Number {
        private static final long serialVersionUID = 1L;
        private final String text;

        Meters(String text) {
            this.text = text;
        }

        @Override
        public int intValue() {
            return 12;
        }

        @Override
        public long longValue() {
            return 12;
        }

        @Override
        public float floatValue() {
            return 12.5f;
        }

        @Override
        public double doubleValue() {
            return 12.5;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    @Provider
    public static final class Filters implements ContainerRequestFilter, ContainerResponseFilter {
        @Override
        public void filter(ContainerRequestContext req) {
            AllocLine.put("filtered", true);
        }

        @Override
        public void filter(ContainerRequestContext req, ContainerResponseContext resp) {
            AllocLine.put("response_thread_ctx", String.valueOf(ThreadContext.get("request_id")));
        }
    }

    static final LineCollector LINES = new LineCollector();
    static LoopbackServer server;

    @BeforeAll
    static void start() {
        server = LoopbackServer.start(Apps.withFeature(LINES, Svc.class, Filters.class));
    }

    @AfterAll
    static void stop() {
        server.close();
        POOL.shutdownNow();
    }

    @Test
    void fieldsFromTheMethodAndAFilterReachTheLineAfterTheLibrarysFields() {
        CanonicalLine line = server.lineFor(LINES, "/svc/method", 200);
        assertEquals("u-1", line.fields().get("user"));
        assertEquals(43, line.fields().get("rows"));
        assertEquals(true, line.fields().get("filtered"));
        String text = dev.allocline.line.CanonicalLineFormat.logfmt(line);
        assertTrue(text.indexOf(" user=u-1") > text.indexOf(" alloc_reads="), text);
    }

    /** README: numbers keep their type; a mutable one is read when it is put, and the line keeps that value. */
    @Test
    void everyNumberStaysANumberWithTheValueItHadWhenPut() {
        CanonicalLine line = server.lineFor(LINES, "/svc/numbers", 200);
        assertEquals(7L, line.fields().get("atomic_long"), line.fields()::toString);
        assertEquals(8L, line.fields().get("long_adder"), line.fields()::toString);
        assertEquals(9, line.fields().get("atomic_int"), line.fields()::toString);
        assertEquals(1.5, line.fields().get("double_adder"), line.fields()::toString);
        assertEquals(new java.math.BigDecimal("12.5"), line.fields().get("custom"), line.fields()::toString);
        assertEquals(12.5, line.fields().get("custom_words"),
                "a Number whose text is not a number is written as its doubleValue: " + line.fields());
        String text = dev.allocline.line.CanonicalLineFormat.logfmt(line);
        assertTrue(text.contains(" atomic_long=7 long_adder=8 atomic_int=9 double_adder=1.5 custom=12.5 custom_words=12.5"),
                text);
    }

    @Test
    void theRequestIdIsInTheLoggingContextOfTheRequestThread() {
        String id = "ctx-1";
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/svc/method")).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(10)).build());
        assertEquals(id + " " + id, r.body(), "AllocLine.requestId() and ThreadContext agree on the id");
        assertEquals(id, LINES.awaitRequest(id).fields().get("response_thread_ctx"));
    }

    @Test
    void fieldsAndContextFollowManagedAsync() {
        String id = "managed-1";
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/svc/managed")).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(10)).build());
        assertEquals(id + " " + id, r.body());
        assertEquals("managed", LINES.awaitRequest(id).fields().get("where"));
    }

    @Test
    void fieldsFollowAResumedAsyncResponse() {
        CanonicalLine line = server.lineFor(LINES, "/svc/resumed", 200);
        assertEquals(line.requestId(), line.fields().get("response_thread_ctx"),
                "the response filter ran on the resuming thread, inside the request's context");
    }

    @Test
    void fieldsAndContextFollowAWrappedTaskAndThePoolThreadIsLeftClean() throws Exception {
        CanonicalLine line = server.lineFor(LINES, "/svc/wrapped", 200);
        assertEquals("wrapped", line.fields().get("where"));
        assertTrue(CONTEXT_SEEN.contains(line.requestId() + " " + line.requestId()), CONTEXT_SEEN::toString);
        // The pool thread holds nothing of the request afterwards.
        assertNull(POOL.submit(() -> ThreadContext.get("request_id")).get(10, TimeUnit.SECONDS));
        assertFalse(POOL.submit(() -> AllocLine.requestId().isPresent()).get(10, TimeUnit.SECONDS));
    }

    @Test
    void aPutAfterTheLineChangesNothingAndLeaksNowhere() throws Exception {
        CanonicalLine line = server.lineFor(LINES, "/svc/late", 200);
        LATE_GO.countDown();
        assertFalse(LATE_PUT.get(10, TimeUnit.SECONDS), "put after the line was written");
        assertFalse(line.fields().containsKey("late"));
        CanonicalLine next = server.lineFor(LINES, "/svc/method", 200);
        assertFalse(next.fields().containsKey("late"), "nothing leaks into the next request");
    }

    @Test
    void reservedAndMalformedKeysAreRefusedAndLimitsHold() {
        String id = "rules-1";
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/svc/rules")).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(10)).build());
        assertEquals("status,alloc_bytes,request_id,trace_id,Bad,1x,a-b,,long,", r.body());
        CanonicalLine line = LINES.awaitRequest(id);
        assertEquals(AllocLine.MAX_FIELDS + 1, line.fields().size(), line.fields()::toString); // + fields_dropped
        // The request filter's field and f0..f30 fill the 32; f31..f39, obj and the response filter's field
        // are dropped (11); replacing f0 is allowed.
        assertEquals(11, line.fields().get("fields_dropped"), line.fields()::toString);
        String f0 = (String) line.fields().get("f0");
        assertEquals(AllocLine.MAX_VALUE_CHARS + "...[truncated]".length(), f0.length());
        assertFalse(line.fields().containsKey("status"));
    }

    @Test
    void allocatedBytesSoFarIsVisibleToTheApplication() {
        String id = "bytes-1";
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/svc/bytes")).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(10)).build());
        long soFar = Long.parseLong(r.body());
        CanonicalLine line = LINES.awaitRequest(id);
        assertTrue(soFar >= 4L << 20 && soFar <= line.allocatedBytes(), soFar + " vs " + line);
    }

    @Test
    void outsideARequestNothingHappens() {
        assertFalse(AllocLine.put("user", "x"));
        assertTrue(AllocLine.requestId().isEmpty());
        assertTrue(AllocLine.allocatedBytes().isEmpty());
    }

    @Test
    void aTrustedInboundIdIsUsedAndEchoedAnUntrustedOneReplaced() {
        HttpResponse<String> ok = server.send(HttpRequest.newBuilder(server.uri("/svc/method"))
                .header("X-Request-Id", "lb.7f3a:2").timeout(Duration.ofSeconds(10)).build());
        assertEquals("lb.7f3a:2", ok.headers().firstValue("X-Request-Id").orElse(null));
        assertEquals("lb.7f3a:2", LINES.awaitRequest("lb.7f3a:2").requestId());
        for (String bad : new String[] {"has space", "x".repeat(129), "quote\"", "semi;colon"}) {
            HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/svc/method"))
                    .header("X-Request-Id", bad).timeout(Duration.ofSeconds(10)).build());
            String echoed = r.headers().firstValue("X-Request-Id").orElseThrow();
            assertTrue(echoed.matches("[0-9a-f]{32}"), "replaced by a generated id: " + echoed);
            assertEquals(echoed, LINES.awaitRequest(echoed).requestId());
        }
    }

    @Test
    void withoutTheSettingNoInboundIdIsTrustedAndNoHeaderAdded() {
        LineCollector lines = new LineCollector();
        ResourceConfig rc = new ResourceConfig(Svc.class).register(AllocLineFeature.builder().defaultSink(false)
                .sink(lines).build());
        try (LoopbackServer s = LoopbackServer.start(rc)) {
            HttpResponse<String> r = s.send(HttpRequest.newBuilder(s.uri("/svc/method"))
                    .header("X-Request-Id", "forged").timeout(Duration.ofSeconds(10)).build());
            assertTrue(r.headers().firstValue("X-Request-Id").isEmpty());
            CanonicalLine line = lines.next();
            assertTrue(line.requestId().matches("[0-9a-f]{32}"), line::toString);
        }
    }

    @Test
    void theThreadsPreviousContextValueIsRestored() {
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(new ResourceConfig(Svc.class).register(AllocLineFeature.builder()
                .defaultSink(false).sink(lines).build()));
        ThreadContext.put("request_id", "outer-job");
        try {
            assertEquals(200, app.send("GET", "/svc/method"));
            CanonicalLine line = lines.next();
            assertFalse(line.requestId().equals("outer-job"));
            assertEquals("outer-job", ThreadContext.get("request_id"), "restored, not just removed");
        } finally {
            ThreadContext.remove("request_id");
        }
        assertEquals(200, app.send("GET", "/svc/method"));
        lines.next();
        assertNull(ThreadContext.get("request_id"), "nothing left when there was nothing before");
    }

    @Test
    void theContextKeyIsConfigurableAndCanBeTurnedOff() {
        LineCollector lines = new LineCollector();
        InProcess renamed = new InProcess(new ResourceConfig(Svc.class, Filters.class).register(AllocLineFeature.builder()
                .defaultSink(false).loggingContextKey("rid").sink(lines).build()));
        assertEquals(200, renamed.send("GET", "/svc/method"));
        assertEquals("null", lines.next().fields().get("response_thread_ctx"), "not under request_id");
        InProcess off = new InProcess(new ResourceConfig(Svc.class, Filters.class).register(AllocLineFeature.builder()
                .defaultSink(false).loggingContextKey(null).sink(lines).build()));
        assertEquals(200, off.send("GET", "/svc/method"));
        assertEquals("null", lines.next().fields().get("response_thread_ctx"));
    }

    @Test
    void skippedLinesExceptFailuresAndOverruns() throws Exception {
        LineCollector lines = new LineCollector();
        ResourceConfig rc = new ResourceConfig(Svc.class).register(AllocLineFeature.builder().defaultSink(false)
                .requestIdHeader("X-Request-Id").sink(lines)
                .skip(l -> l.httpRoute().equals("/svc/health"))
                .profileThresholdBytes(16L << 20).profileStore(new LocalDirectoryProfileStore(
                        Files.createTempDirectory("allocline-skip")))
                .build());
        try (LoopbackServer s = LoopbackServer.start(rc)) {
            s.send(HttpRequest.newBuilder(s.uri("/svc/health")).header("X-Request-Id", "h-ok").build());
            CanonicalLine failed = s.lineFor(lines, "/svc/health?fail=true", 500);
            assertEquals(500, failed.status());
            CanonicalLine overrun = s.lineFor(lines, "/svc/health?mib=24", 200);
            assertTrue(overrun.allocatedBytes() >= 24L << 20);
            s.lineFor(lines, "/svc/method", 200);
            assertTrue(lines.drain(Duration.ZERO).stream().noneMatch(l -> l.requestId().equals("h-ok")),
                    "the healthy check was skipped");
        }
    }

    @Test
    void wrappedExecutorServiceKeepsItsSemanticsAndAccountsTasks() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        ExecutorService wrapped = AllocLine.wrap(pool);
        Future<Integer> f = wrapped.submit(() -> 7);
        assertEquals(7, f.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(1, 2), wrapped.invokeAll(List.of(() -> 1, () -> 2)).stream().map(x -> {
            try {
                return x.get();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList());
        wrapped.shutdown();
        assertTrue(pool.isShutdown(), "shutting the wrapper down shuts the pool down");
        assertTrue(wrapped.awaitTermination(10, TimeUnit.SECONDS));
    }
}
