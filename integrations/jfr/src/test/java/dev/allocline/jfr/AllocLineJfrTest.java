package dev.allocline.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.Recording;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The on-call command against a real recording of a real server: a mixed load of heavy and light requests in
 * parallel, recorded with allocation samples and allocline's stretch events, read back by {@link Main} as a
 * user runs it. Bad files get a clear message and exit status 2.
 */
class AllocLineJfrTest {

    static final LineCollector LINES = new LineCollector();
    static LoopbackServer server;
    static java.nio.file.Path recording;
    static final List<CanonicalLine> HEAVY = new ArrayList<>();
    static final List<CanonicalLine> LIGHT = new ArrayList<>();

    @TempDir
    static java.nio.file.Path dir;

    @Path("/")
    public static final class Load {
        @GET
        @Path("heavy/{mib}")
        public String heavy(@PathParam("mib") int mib) {
            HeavyWork.run(mib);
            return "heavy";
        }

        @GET
        @Path("light")
        public String light() {
            Allocate.bytes(64 << 10);
            return "light";
        }
    }

    /** The allocating method the flame graph and the frames list must name. */
    static final class HeavyWork {
        static void run(int mib) {
            Allocate.bytes((long) mib << 20);
        }
    }

    @BeforeAll
    static void record() throws Exception {
        ResourceConfig rc = new ResourceConfig(Load.class).register(AllocLineFeature.builder().defaultSink(false)
                .requestIdHeader("X-Request-Id").sink(LINES).build());
        server = LoopbackServer.start(rc);
        recording = dir.resolve("mixed.jfr");
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try (Recording r = new Recording()) {
            r.enable("dev.allocline.Request");
            r.enable("dev.allocline.Line");
            r.enable("jdk.ObjectAllocationSample").with("throttle", "2000/s").withStackTrace();
            r.enable("jdk.GarbageCollection");
            r.start();
            List<Future<CanonicalLine>> heavy = new ArrayList<>();
            List<Future<CanonicalLine>> light = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                heavy.add(clients.submit(() -> server.lineFor(LINES, "/heavy/16", 200)));
                for (int j = 0; j < 4; j++) {
                    light.add(clients.submit(() -> server.lineFor(LINES, "/light", 200)));
                }
            }
            for (Future<CanonicalLine> f : heavy) {
                HEAVY.add(f.get());
            }
            for (Future<CanonicalLine> f : light) {
                LIGHT.add(f.get());
            }
            r.stop();
            r.dump(recording);
        } finally {
            clients.shutdownNow();
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Result(int status, String out, String err) {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static double mib(String human) {
        Matcher m = Pattern.compile("([0-9.]+) (GiB|MiB|KiB|B)").matcher(human);
        assertTrue(m.matches(), human);
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "GiB" -> v * 1024;
            case "MiB" -> v;
            case "KiB" -> v / 1024;
            default -> v / (1 << 20);
        };
    }

    @Test
    void topNamesTheAllocatingRouteFirstWithItsShareOfTheLinesTotals() {
        Result r = run("top", recording.toString());
        assertEquals(0, r.status(), r::toString);
        System.out.println(r.out()); // what an on-call engineer reads
        // "  share  bytes  requests  route" rows, heaviest first
        Matcher row = Pattern.compile("(?m)^ +([0-9.]+)% +([0-9.]+ (?:GiB|MiB|KiB|B)) +([0-9]+)  (/\\S*)$")
                .matcher(r.out());
        List<String[]> routes = new ArrayList<>();
        while (row.find()) {
            routes.add(new String[] {row.group(4), row.group(2), row.group(3)});
        }
        assertTrue(routes.size() >= 2, r::out);
        assertEquals("/heavy/{mib}", routes.get(0)[0], r::out);
        assertEquals("12", routes.get(0)[2], r::out);
        double heavySampled = mib(routes.get(0)[1]);
        double lightSampled = routes.stream().filter(x -> x[0].equals("/light")).mapToDouble(x -> mib(x[1])).sum();
        double heavyLines = HEAVY.stream().mapToLong(CanonicalLine::allocatedBytes).sum() / (double) (1 << 20);
        double lightLines = LIGHT.stream().mapToLong(CanonicalLine::allocatedBytes).sum() / (double) (1 << 20);
        double sampledShare = heavySampled / (heavySampled + lightSampled);
        double linesShare = heavyLines / (heavyLines + lightLines);
        assertTrue(Math.abs(sampledShare - linesShare) <= 0.10 * linesShare,
                () -> "heavy route's share: sampled " + sampledShare + ", lines " + linesShare + "\n" + r.out());
        // The heaviest requests are listed with the line's exact figure beside the sampled one.
        CanonicalLine listed = HEAVY.stream().filter(l -> r.out().contains("  " + l.requestId() + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no heavy request listed: " + r.out()));
        String rowOf = r.out().lines().filter(l -> l.contains("  " + listed.requestId() + " ")).findFirst().orElseThrow();
        assertTrue(rowOf.contains(Main.bytes(listed.allocatedBytes())), () -> listed + "\n" + rowOf);
    }

    @Test
    void requestShowsItsStretchesSamplesAndTheAllocatingMethodWithAFlameGraph() throws Exception {
        CanonicalLine line = HEAVY.get(HEAVY.size() / 2);
        java.nio.file.Path html = dir.resolve("request.html");
        Result r = run("request", line.requestId(), recording.toString(), "--html", html.toString());
        assertEquals(0, r.status(), r::toString);
        System.out.println(r.out());
        assertTrue(r.out().contains("request " + line.requestId() + "  GET /heavy/{mib}"), r::out);
        assertTrue(r.out().contains("line: alloc_bytes=" + line.allocatedBytes() + " "), () -> "the line's exact figure: " + r.out());
        assertTrue(r.out().contains("stretches (thread, start, duration):"), r::out);
        String firstFrame = r.out().lines().dropWhile(l -> !l.equals("top allocating frames:")).skip(1).findFirst()
                .orElse("");
        assertTrue(firstFrame.endsWith("dev.allocline.testing.Allocate.bytes")
                        || firstFrame.endsWith("AllocLineJfrTest$HeavyWork.run"), () -> "widest frame: " + r.out());
        String page = Files.readString(html);
        assertTrue(page.contains("HeavyWork") && page.contains("Allocate"), "the flame graph has the allocating stack");
    }

    @Test
    void routeMergesEveryRequestOfTheRoute() throws Exception {
        java.nio.file.Path html = dir.resolve("route.html");
        Result r = run("route", "/heavy/{mib}", recording.toString(), "--html", html.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().startsWith("route /heavy/{mib}: 12 requests"), r::out);
        assertTrue(Files.readString(html).contains("HeavyWork"));
    }

    /**
     * The streaming reader keeps only what is open (Stretches); on this recording of parallel requests on
     * Grizzly's threads it finds, request by request, the sampled bytes a reader holding every stretch finds.
     */
    @Test
    void theStreamingReaderFindsWhatAReaderOfTheWholeFileFinds() throws Exception {
        Stretches s = WholeFile.assertStreamingMatches(recording);
        assertEquals(HEAVY.size() + LIGHT.size(), s.requests);
    }

    @Test
    void unknownRequestOrRouteSayWhatTheFileHas() {
        Result r = run("request", "no-such-id", recording.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("no request no-such-id in"), r::err);
        Result route = run("route", "/nope", recording.toString());
        assertEquals(2, route.status());
        assertTrue(route.err().contains("its routes: ["), route::err);
    }

    @Test
    void aFileWithoutAlloclineEventsSaysHowToRecordThem() throws Exception {
        java.nio.file.Path plain = dir.resolve("plain.jfr");
        try (Recording r = new Recording()) {
            r.enable("jdk.ObjectAllocationSample");
            r.start();
            Allocate.bytes(1 << 20);
            r.stop();
            r.dump(plain);
        }
        Result r = run("top", plain.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("has no dev.allocline.Request events")
                && r.err().contains("+dev.allocline.Request#enabled=true"), r::err);
    }

    @Test
    void aTruncatedOrForeignFileIsRefusedWithAClearMessage() throws Exception {
        byte[] all = Files.readAllBytes(recording);
        java.nio.file.Path half = dir.resolve("half.jfr");
        Files.write(half, java.util.Arrays.copyOf(all, all.length / 2));
        Result truncated = run("top", half.toString());
        assertEquals(2, truncated.status(), truncated::toString);
        assertTrue(truncated.err().startsWith("allocline-jfr: "), truncated::err);
        java.nio.file.Path text = dir.resolve("notes.jfr");
        Files.writeString(text, "not a recording\n");
        Result foreign = run("top", text.toString());
        assertEquals(2, foreign.status());
        assertTrue(foreign.err().contains("cannot read " + text), foreign::err);
        Result missing = run("top", dir.resolve("missing.jfr").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("no such file"), missing::err);
    }

    @Test
    void badUsageExitsOneWithTheUsage() {
        Result r = run("frobnicate");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("usage: java -jar allocline-jfr.jar top FILE"), r::err);
        assertEquals(1, run("top", recording.toString(), "--limit", "0").status());
    }
}
