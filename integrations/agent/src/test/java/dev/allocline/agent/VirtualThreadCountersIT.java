package dev.allocline.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.meter.ThreadAllocationCounter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The agent's counter for virtual threads, read through the library exactly as the accounting reads it,
 * in a JVM started with {@code -javaagent:allocline-agent.jar -Djdk.virtualThreadScheduler.parallelism=2}
 * (see the failsafe configuration): exact across parks and remounts on the other carrier, beside many
 * other virtual threads on the same two carriers.
 */
class VirtualThreadCountersIT {

    static final long MIB = 1L << 20;
    /** The README's documented slack above what the code allocated. */
    static final long SLACK = 128 * 1024;

    private final ThreadAllocationCounter counter = ThreadAllocationCounter.platform();

    @Test
    void theAgentIsInstalledAndTheLibraryUsesIt() throws Exception {
        Class<?> hook = Class.forName(AllocLineAgent.HOOK, false, null);
        assertTrue((boolean) hook.getMethod("installed").invoke(null), "hooks installed");
        assertTrue(ThreadAllocationCounter.countsVirtualThreads());
        long[] read = new long[1];
        Thread vt = Thread.ofVirtual().start(() -> read[0] = counter.currentThreadAllocatedBytes());
        vt.join();
        assertTrue(read[0] >= 0, "a virtual thread's read is a number, not -1: " + read[0]);
        assertNull(hook.getMethod("hookFailure").invoke(null));
    }

    /**
     * How the hooks read the carrier's counter: from HotSpot's memory (this machine is Linux on HotSpot, where the
     * agent finds the layout and the hooks check it against the JNI read), or through JNI when the agent is told
     * {@code read=jni} (the failsafe execution {@code with-jni-read}, which runs this class again to keep that
     * path exact too; it sets {@code allocline.test.counterRead=jni}).
     */
    @Test
    void theCarriersCounterIsReadTheWayThisJvmWasStartedFor() throws Exception {
        Class<?> hook = Class.forName(AllocLineAgent.HOOK, false, null);
        String read = (String) hook.getMethod("counterRead").invoke(null);
        String expected = System.getProperty("allocline.test.counterRead", "memory");
        assertTrue(read.equals(expected) || read.startsWith(expected + ":"), "expected " + expected + ", read: " + read);
    }

    /**
     * The hooks find HotSpot's layout themselves and take no part of how they read from a system property: any code
     * could set one before the agent starts, and an offset the memory read trusted would be a read of any address.
     */
    @Test
    void theHooksReadNoLayoutFromASystemPropertySomeoneSet() throws Exception {
        // Not offsets: a read at a made-up offset could crash the JVM that trusted it (the hooks once did).
        String property = "-D" + LAYOUT_PROPERTY + "=set-by-someone-else";
        assertEquals("read jni: read=jni; the property is still set-by-someone-else",
                howTheHooksRead(ChildJvm.agent() + "=read=jni", property));
        assertEquals("read memory; the property is still set-by-someone-else", howTheHooksRead(ChildJvm.agent(), property));
    }

    /** The property the agent once handed the hooks their layout in, with {@code read=jni} too if someone else set it. */
    static final String LAYOUT_PROPERTY = "dev.allocline.agent.threadCounterLayout";

    /** Run in a child JVM: how the hooks read, and the layout property as the hooks left it. */
    public static final class HowTheHooksRead {
        public static void main(String[] args) throws Exception {
            Class<?> hook = Class.forName(AllocLineAgent.HOOK, true, null);
            System.out.println("read " + hook.getMethod("counterRead").invoke(null) + "; the property is still "
                    + System.getProperty(LAYOUT_PROPERTY));
        }
    }

    private static String howTheHooksRead(String... jvm) throws Exception {
        List<String> args = new ArrayList<>(List.of(jvm));
        args.addAll(List.of("-cp", System.getProperty("java.class.path"), HowTheHooksRead.class.getName()));
        String out = ChildJvm.run(args);
        return out.lines().filter(l -> l.startsWith("read ")).findFirst().orElse("nothing from the probe: " + out);
    }

    /** {@code -Ddev.allocline.agent.verbose=true} says which read the hooks settled on, in a JVM of its own. */
    @Test
    void theVerboseFlagSaysWhichReadTheHooksUse() throws Exception {
        String memory = "allocline-agent: installed; the carrier's counter is read from HotSpot's memory";
        assertEquals(memory, verbose(""));
        assertEquals("allocline-agent: installed; the carrier's counter is read through JNI (read=jni)", verbose("=read=jni"));
    }

    @Test
    void theMemoryReadHoldsWhenTheHandlesItUsesAreCustomisedOrATlabIsRetiredBetweenItsLoads() throws Exception {
        // 2 KB TLABs: the ~30 KB java.lang.invoke allocates when it customises a handle (its ~128th call) always refills
        // the TLAB. Before the hooks customised their handles at start-up, that happened between the loads of the
        // start-up check's memory read (retired bytes read before the refill, the new TLAB after: ~TLAB short), the
        // check refused the memory read, and in a running service it would have happened in a hook on a mount.
        assertEquals("allocline-agent: installed; the carrier's counter is read from HotSpot's memory",
                verbose("", "-XX:TLABSize=2k", "-XX:-ResizeTLAB"));
        assertEquals("allocline-agent: installed; the carrier's counter is read from HotSpot's memory",
                verbose("", "-Xint", "-XX:TLABSize=2k", "-XX:-ResizeTLAB"));
    }

    @Test
    void aSafepointBetweenTheMemoryReadsLoadsDoesNotTearIt() throws Exception {
        // In the interpreter a safepoint can fall between the read's loads, and a GC retires the TLAB there: without the
        // second load of the retired bytes, about one read in a thousand took them from before the GC and the TLAB
        // from after (TornReadProbe: 5 short and 3 long of 4,000 rounds, in each of two runs).
        String out = ChildJvm.run("-Xint", ChildJvm.agent(), "-cp", System.getProperty("java.class.path"),
                TornReadProbe.class.getName(), "4000");
        assertTrue(out.contains("read memory; rounds 4000, short 0, long 0"), out);
    }

    /** The agent's stderr when a JVM started with it (and {@code options}, and {@code jvm}) and the verbose flag prints its version. */
    private static String verbose(String options, String... jvm) throws Exception {
        List<String> args = new ArrayList<>(List.of(jvm));
        args.addAll(List.of(ChildJvm.agent() + options, "-Ddev.allocline.agent.verbose=true", "-version"));
        String out = ChildJvm.run(args);
        return out.lines().filter(l -> l.startsWith("allocline-agent:")).findFirst().orElse("nothing from the agent: " + out);
    }

    @Test
    void platformThreadsReadTheJvmCounterAsBefore() {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = counter.currentThreadAllocatedBytes();
        Work.allocate(MIB);
        long lib = counter.currentThreadAllocatedBytes();
        long jvm = bean.getCurrentThreadAllocatedBytes();
        assertTrue(lib - before >= MIB - 16 && lib - before < MIB + SLACK, () -> "delta " + (lib - before));
        assertTrue(jvm >= lib && jvm - lib < 4096, "the library's read is the JVM's: " + lib + " vs " + jvm);
    }

    @Test
    void parkingBetweenEveryMiBBesideManyOtherVirtualThreadsReadsExactly() throws Exception {
        int mib = 16;
        int big = 24;
        int small = 200;
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> noise = new ArrayList<>();
        for (int i = 0; i < small; i++) {
            noise.add(Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    Work.allocate(1024);
                    LockSupport.parkNanos(20_000);
                }
            }));
        }
        long[] bytes = new long[big];
        Set<String> carriers = ConcurrentHashMap.newKeySet();
        AtomicLong remounts = new AtomicLong();
        List<Thread> bigOnes = new ArrayList<>();
        for (int i = 0; i < big; i++) {
            int n = i;
            bigOnes.add(Thread.ofVirtual().start(() -> {
                long before = counter.currentThreadAllocatedBytes();
                String first = Work.carrier();
                boolean moved = false;
                for (int m = 0; m < mib; m++) {
                    Work.allocate(MIB);
                    LockSupport.parkNanos(50_000);
                    String c = Work.carrier();
                    carriers.add(c);
                    moved |= !c.equals(first);
                }
                if (moved) {
                    remounts.incrementAndGet();
                }
                long after = counter.currentThreadAllocatedBytes();
                bytes[n] = before < 0 || after < 0 ? -1 : after - before;
            }));
        }
        for (Thread t : bigOnes) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        stop.set(true);
        for (Thread t : noise) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        long platform = Work.onPlatformThread(() -> {
            long before = counter.currentThreadAllocatedBytes();
            for (int m = 0; m < mib; m++) {
                Work.allocate(MIB);
                LockSupport.parkNanos(50_000);
                Work.carrier();
            }
            return counter.currentThreadAllocatedBytes() - before;
        });
        System.out.println("virtual threads: " + java.util.Arrays.toString(bytes) + " platform thread: " + platform
                + " carriers: " + carriers + " moved: " + remounts.get() + "/" + big);
        assertTrue(carriers.size() >= 2, "ran on both carriers: " + carriers);
        assertTrue(remounts.get() > 0, "some virtual thread resumed on another carrier than it started on");
        for (long b : bytes) {
            assertTrue(b >= mib * MIB - mib * 16L && b <= mib * MIB + SLACK, "within [N MiB, N MiB + slack]: " + b);
            assertTrue(Math.abs(b - platform) <= SLACK, "same as on a platform thread (" + platform + "): " + b);
        }
    }

    @Test
    void anotherThreadReadsAParkedAndARunningVirtualThreadById() throws Exception {
        CountDownLatch parked = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        AtomicBoolean stopSpinning = new AtomicBoolean();
        long[] own = new long[2];
        Thread vt = Thread.ofVirtual().unstarted(() -> {
            own[0] = counter.currentThreadAllocatedBytes();
            Work.allocate(3 * MIB);
            own[1] = counter.currentThreadAllocatedBytes();
            parked.countDown();
            while (!release.get()) {
                LockSupport.park();
            }
            Work.allocate(2 * MIB);
            running.countDown();
            while (!stopSpinning.get()) {
                Thread.onSpinWait(); // mounted, not parking: the remote read adds the carrier's bytes since mount
            }
        });
        vt.start();
        assertTrue(parked.await(30, TimeUnit.SECONDS));
        while (vt.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        long whileParked = counter.threadAllocatedBytes(vt.getId());
        assertTrue(whileParked - own[0] >= 3 * MIB - 64 && whileParked - own[0] < 3 * MIB + SLACK,
                "parked: " + (whileParked - own[0]));
        assertTrue(whileParked >= own[1], "nothing lost at the unmount");
        release.set(true);
        LockSupport.unpark(vt);
        assertTrue(running.await(30, TimeUnit.SECONDS));
        long whileRunning = counter.threadAllocatedBytes(vt.getId());
        stopSpinning.set(true);
        vt.join();
        assertTrue(whileRunning - own[0] >= 5 * MIB - 128 && whileRunning - own[0] < 5 * MIB + SLACK,
                "running: " + (whileRunning - own[0]));
    }

    /**
     * A read from another thread (a request ending while its virtual thread still works for it) that gives up on a
     * thread the agent counts says so, not that the agent does not count the thread. Every try of such a read fails
     * when the carrier its slot names has no counter the JVM can read; the test makes one by running the mount hook,
     * as {@code VirtualThread.mount()} does, for the parked thread on another virtual thread (the JVM reads no
     * counter for a virtual thread's id). The thread's next real mount overwrites it.
     */
    @Test
    void aReadFromAnotherThreadThatGivesUpOnACountedThreadSaysWhy() throws Exception {
        Class<?> hook = Class.forName(AllocLineAgent.HOOK, false, null);
        CountDownLatch counted = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        Runnable parkUntilReleased = () -> {
            while (!release.get()) {
                LockSupport.park();
            }
        };
        Thread vt = Thread.ofVirtual().start(() -> {
            counter.currentThreadAllocatedBytes();
            counted.countDown();
            parkUntilReleased.run();
        });
        Thread neverAsked = Thread.ofVirtual().start(parkUntilReleased);
        assertTrue(counted.await(30, TimeUnit.SECONDS));
        while (vt.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        Thread.ofVirtual().start(() -> {
            try {
                hook.getMethod("mount", Thread.class).invoke(null, vt);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }).join();
        try {
            assertEquals(-1L, counter.threadAllocatedBytes(vt.getId()), "the read gave up");
            assertEquals("virtual_thread_read_gave_up", counter.unavailableReason(vt));
            assertEquals("virtual_thread_untracked", counter.unavailableReason(neverAsked), "a thread the agent does not count");
        } finally {
            release.set(true);
            LockSupport.unpark(vt);
            LockSupport.unpark(neverAsked);
            vt.join();
            neverAsked.join();
        }
    }

    @Test
    void aVirtualThreadsSlotIsFreedWhenItEnds() throws Exception {
        Class<?> hook = Class.forName(AllocLineAgent.HOOK, false, null);
        java.lang.reflect.Method tracked = hook.getMethod("tracked", long.class);
        long[] id = new long[1];
        boolean[] trackedWhileAlive = new boolean[1];
        Thread vt = Thread.ofVirtual().start(() -> {
            counter.currentThreadAllocatedBytes();
            id[0] = Thread.currentThread().threadId();
            try {
                trackedWhileAlive[0] = (boolean) tracked.invoke(null, id[0]);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        });
        vt.join();
        assertTrue(trackedWhileAlive[0]);
        assertFalse((boolean) tracked.invoke(null, id[0]), "freed at the end");
        assertEquals(-1L, counter.threadAllocatedBytes(id[0]));
    }

    @Test
    void thousandsOfVirtualThreadsThatAskEachGetASlotInTurn() throws Exception {
        // More threads over time than the table has slots: slots are reused as threads end.
        Class<?> hook = Class.forName(AllocLineAgent.HOOK, false, null);
        int slots = (int) hook.getMethod("slots").invoke(null);
        AtomicLong failures = new AtomicLong();
        for (int round = 0; round < 4; round++) {
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < slots / 8; i++) {
                ts.add(Thread.ofVirtual().start(() -> {
                    if (counter.currentThreadAllocatedBytes() < 0) {
                        failures.incrementAndGet();
                    }
                    LockSupport.parkNanos(10_000);
                    if (counter.currentThreadAllocatedBytes() < 0) {
                        failures.incrementAndGet();
                    }
                }));
            }
            for (Thread t : ts) {
                t.join();
            }
        }
        assertEquals(0, failures.get(), "no thread found its bucket full");
    }
}
