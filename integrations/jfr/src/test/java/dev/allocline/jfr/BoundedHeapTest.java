package dev.allocline.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command reads a recording of more requests than its heap could hold one by one: 300,000 requests (the
 * reader before this kept about 0.46 KB per request, 130 MiB here; it ran out of memory in this 48 MiB heap),
 * written by {@link SyntheticRecording} in 1 MiB chunks, read by {@code top}, {@code route} and {@code request}
 * in a child JVM with {@code -Xmx48m} (they peak at about 19 MB live after a full GC). Nothing is timed: a
 * reader that keeps something per request fails with exit status 2 and its out-of-memory message.
 */
class BoundedHeapTest {

    static final int REQUESTS = 300_000;
    static final String HEAP = "-Xmx48m";

    @TempDir
    static Path dir;
    static Path recording;
    /** The heavy requests' exact bytes, as their line events say. */
    static final Map<String, Long> HEAVY = new HashMap<>();

    @BeforeAll
    static void write() throws Exception {
        recording = dir.resolve("many.jfr");
        Child w = Child.run(dir, javaOf(System.getProperty("java.home")), List.of(
                "-XX:FlightRecorderOptions:maxchunksize=1M", "-cp", System.getProperty("java.class.path"),
                SyntheticRecording.class.getName(), recording.toString(), String.valueOf(REQUESTS)));
        assertEquals(0, w.status(), w::toString);
        for (String line : w.out().split("\n")) {
            if (line.startsWith("h-")) {
                String[] f = line.trim().split(" ");
                HEAVY.put(f[0], Long.parseLong(f[1]));
            }
        }
        assertEquals(REQUESTS / SyntheticRecording.HEAVY_EVERY, HEAVY.size(), w::toString);
    }

    static String javaOf(String home) {
        return Path.of(home, "bin", "java").toString();
    }

    /** A child process's exit status and output. */
    record Child(int status, String out, String err) {
        static Child run(Path dir, String java, List<String> args) throws Exception {
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.add("-Djava.io.tmpdir=" + dir);
            cmd.addAll(args);
            Path out = Files.createTempFile(dir, "out", ".txt");
            Path err = Files.createTempFile(dir, "err", ".txt");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("no exit within 120 s: " + cmd);
            }
            return new Child(p.exitValue(), Files.readString(out), Files.readString(err));
        }
    }

    static Child command(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(HEAP, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        all.addAll(List.of(args));
        return Child.run(dir, javaOf(System.getProperty("java.home")), all);
    }

    @Test
    void topRanksThreeHundredThousandRequestsIn48MiB() throws Exception {
        Child top = command("top", recording.toString(), "--limit", "3");
        assertEquals(0, top.status(), top::toString);
        assertTrue(top.out().contains(": " + REQUESTS + " requests, " + REQUESTS + " stretches"), top::out);
        assertTrue(top.out().contains(" " + HEAVY.size() + "  /heavy\n"), top::out);
        // the heaviest requests are the heavy ones, each with its line's exact figure
        List<String> rows = top.out().lines().dropWhile(l -> !l.startsWith("requests by sampled allocation"))
                .skip(2).filter(l -> !l.isBlank()).toList();
        assertEquals(3, rows.size(), top::out);
        for (String row : rows) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(" ([hr]-[0-9]+) ").matcher(row);
            assertTrue(m.find(), row);
            String id = m.group(1);
            assertTrue(HEAVY.containsKey(id), () -> id + " is not a heavy request: " + top.out());
            assertTrue(row.contains(Main.bytes(HEAVY.get(id))), () -> "line figure of " + id + ": " + row);
        }
    }

    @Test
    void routeAndRequestAnswerIn48MiB() throws Exception {
        Child route = command("route", "/heavy", recording.toString(), "--html", dir.resolve("route.html").toString());
        assertEquals(0, route.status(), route::toString);
        assertTrue(route.out().startsWith("route /heavy: " + HEAVY.size() + " requests"), route::out);
        assertTrue(topFrame(route.out()).endsWith("SyntheticRecording.work"), route::out);
        assertTrue(Files.readString(dir.resolve("route.html")).contains("SyntheticRecording"), "the flame graph's stacks");
        String id = HEAVY.keySet().iterator().next();
        Child request = command("request", id, recording.toString());
        assertEquals(0, request.status(), request::toString);
        assertTrue(request.out().contains("line: alloc_bytes=" + HEAVY.get(id) + " "), request::out);
        assertTrue(topFrame(request.out()).endsWith("SyntheticRecording.work"), request::out);
    }

    static String topFrame(String out) {
        return out.lines().dropWhile(l -> !l.equals("top allocating frames:")).skip(1).findFirst().orElse("");
    }

    @Test
    void whatIsKeptIsWhatIsOpenNotTheFile() throws Exception {
        Stretches s = WholeFile.assertStreamingMatches(recording); // every sample where holding all would put it
        assertEquals(REQUESTS, s.requests);
        System.out.printf("segments %d, peak open requests %d, peak recent stretches %d, peak pending samples %d%n",
                s.segments, s.peakOpenRequests, s.peakRecentStretches, s.peakPendingSamples);
        // 1 MiB chunks: each holds a small part of the requests and only about two segments' worth is ever open
        // (about 47,000 here); a reader keeping every request would reach 300,000
        assertTrue(s.segments >= 10, () -> "segments: " + s.segments);
        assertTrue(s.peakOpenRequests < REQUESTS / 2, () -> "open requests at the peak: " + s.peakOpenRequests);
        assertTrue(s.peakRecentStretches < REQUESTS / 2, () -> "stretches kept at the peak: " + s.peakRecentStretches);
    }
}
