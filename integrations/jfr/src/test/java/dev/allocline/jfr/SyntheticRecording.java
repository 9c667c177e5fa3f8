package dev.allocline.jfr;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import jdk.jfr.Event;
import jdk.jfr.Name;
import jdk.jfr.Recording;

/**
 * Writes a recording holding allocline's two events the way allocline writes them, without a server, fast:
 * {@code java -XX:FlightRecorderOptions:maxchunksize=1M -cp test-classes dev.allocline.jfr.SyntheticRecording
 * OUT.jfr REQUESTS}. Request {@code i} is one stretch on the main thread then its line (the line's exact bytes
 * from the thread's allocation counter, as allocline measures them); every {@value #HEAVY_EVERY}th request is
 * {@code GET /heavy} allocating {@value #HEAVY_MIB} MiB, the rest {@code GET /light} allocating 1 KiB, and a
 * second thread allocates a trickle outside any request all along. Allocation samples at 2,000/s with stacks. Run in a
 * child JVM, so that the test can pick the JDK (another JDK's recording) and the chunk size (many chunks).
 * Ids: {@code h-i} for heavy requests, {@code r-i} for light ones.
 */
public final class SyntheticRecording {

    static final int HEAVY_EVERY = 10_000;
    static final int HEAVY_MIB = 16;

    /** Same name and fields as allocline's {@code StretchEvents}. */
    @Name("dev.allocline.Request")
    static final class Stretch extends Event {
        String request_id;
        String route;
        String method;
        String trace_id;
    }

    /** Same name and fields as allocline's {@code LineEvent}. */
    @Name("dev.allocline.Line")
    static final class Line extends Event {
        String request_id;
        String route;
        String method;
        int status;
        long alloc_bytes;
        int alloc_threads;
    }

    static volatile Object sink;
    static volatile boolean done;

    private SyntheticRecording() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int requests = Integer.parseInt(args[1]);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Thread outside = new Thread(() -> {
            while (!done) {
                sink = new byte[4096];
                try {
                    Thread.sleep(1); // a trickle: a busy allocator would take most of the samples' throttle
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "outside-any-request");
        try (Recording r = new Recording()) {
            r.enable("dev.allocline.Request");
            r.enable("dev.allocline.Line");
            r.enable("jdk.ObjectAllocationSample").with("throttle", "2000/s").withStackTrace();
            r.setToDisk(true);
            r.start();
            outside.start();
            for (int i = 0; i < requests; i++) {
                boolean heavy = i % HEAVY_EVERY == HEAVY_EVERY / 2;
                String id = (heavy ? "h-" : "r-") + i;
                String route = heavy ? "/heavy" : "/light";
                long before = mx.getCurrentThreadAllocatedBytes();
                Stretch s = new Stretch();
                s.begin();
                work(heavy);
                s.end();
                long bytes = mx.getCurrentThreadAllocatedBytes() - before;
                s.request_id = id;
                s.route = route;
                s.method = "GET";
                s.trace_id = "";
                s.commit();
                Line l = new Line();
                l.request_id = id;
                l.route = route;
                l.method = "GET";
                l.status = 200;
                l.alloc_bytes = bytes;
                l.alloc_threads = 1;
                l.commit();
                if (heavy) {
                    System.out.println(id + " " + bytes); // the test reads the exact figures here
                }
            }
            done = true;
            outside.join();
            r.stop();
            r.dump(out);
        }
    }

    /** The allocating method: the widest frame of a heavy request's flame graph. */
    static void work(boolean heavy) {
        if (heavy) {
            for (int k = 0; k < HEAVY_MIB * 16; k++) {
                sink = new byte[64 << 10];
            }
        } else {
            sink = new byte[1024];
        }
    }
}
