package dev.allocline.agent;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Run in a child JVM with the agent (and {@code -Xint}, so that a safepoint can fall between any two loads of a
 * read): a counted virtual thread allocates {@value #ARRAY} bytes and yields, over and over, while another
 * thread keeps starting full GCs (each retires every TLAB). Prints how many of its reads moved backwards or
 * further than its allocation and the yield's own few hundred bytes allow: a torn read, one that took the
 * retired bytes from before a TLAB was retired and the TLAB from after, is off by that TLAB's used part.
 */
public final class TornReadProbe {

    static final int ARRAY = 4096;
    /** Bytes the array takes with its header, plus what a yield allocates on the virtual thread (under 1 KB here). */
    static final long MOST = ARRAY + 16 + 2048;

    public static void main(String[] args) throws Throwable {
        int rounds = Integer.parseInt(args[0]);
        Class<?> hook = Class.forName("dev.allocline.agent.hook.VirtualThreadCounters", true, null);
        MethodHandle read = MethodHandles.publicLookup()
                .findStatic(hook, "currentThreadAllocatedBytes", MethodType.methodType(long.class));
        Thread gc = new Thread(() -> {
            while (true) {
                System.gc();
            }
        });
        gc.setDaemon(true);
        gc.start();
        long[] result = new long[3];
        Thread vt = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 300; i++) { // past this probe's own handle customisation and the yield path's linking
                    long warm = (long) read.invokeExact();
                    Thread.yield();
                }
                Object keep = null;
                long prev = (long) read.invokeExact();
                for (int i = 0; i < rounds; i++) {
                    keep = new byte[ARRAY];
                    Thread.yield();
                    long now = (long) read.invokeExact();
                    long d = now - prev;
                    if (d < ARRAY) {
                        result[0]++;
                    } else if (d > MOST) {
                        result[1]++;
                    }
                    prev = now;
                }
                result[2] = keep == null ? -1 : rounds;
            } catch (Throwable t) {
                t.printStackTrace();
            }
        });
        vt.join();
        System.out.println("read " + hook.getMethod("counterRead").invoke(null) + "; rounds " + result[2] + ", short "
                + result[0] + ", long " + result[1]);
    }
}
