package dev.allocline.agent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;

/**
 * The allocline agent: {@code -javaagent:allocline-agent.jar} makes a virtual thread's allocated bytes
 * exact, so allocline's lines read real {@code alloc_bytes} on virtual threads instead of {@code -1}.
 *
 * <p>How: the JVM has no counter for a virtual thread, but its carrier's counter is exact and cheap, and a
 * virtual thread only runs between {@code VirtualThread.mount()} and {@code unmount()} (both called by
 * {@code runContinuation()} on the carrier, around {@code cont.run()}, on JDK 21 and 25). The agent defines
 * {@code VirtualThreadCounters} in the bootstrap class loader (so {@code VirtualThread} can call it),
 * retransforms {@code VirtualThread} (it is loaded from the CDS archive before any agent runs) to call it
 * at the start of both methods, and the library finds it there.
 *
 * <p>Safety: when anything is not as expected (no virtual threads, a {@code VirtualThread} of another
 * shape, no per-thread counters, retransformation refused) it installs nothing and says why once, on
 * standard error; it never stops the JVM from starting. Options, comma-separated: {@code slots=N} sizes the
 * table of virtual threads that can be measured at once (default 16384); {@code read=jni} makes the hooks read
 * the carrier's counter through JNI instead of from HotSpot's memory (slower; for comparison and as a way out).
 */
public final class AllocLineAgent {

    static final String HOOK = "dev.allocline.agent.hook.VirtualThreadCounters";
    /** {@code -Ddev.allocline.agent.verbose=true}: say how the carrier's counter is read when it is not the fast way. */
    static final String VERBOSE_PROPERTY = "dev.allocline.agent.verbose";
    private static final String HOOK_RESOURCE = HOOK.replace('.', '/') + ".class";

    /** {@code read=jni}: the hooks read the carrier's counter through JNI only (the slower way, for comparison). */
    private static boolean jniRead;

    private AllocLineAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        String outcome;
        try {
            outcome = install(args, inst);
        } catch (Throwable t) {
            outcome = "not installed: " + t;
        }
        if (outcome != null) {
            boolean virtualThreads = Runtime.version().feature() >= 21;
            System.err.println("allocline-agent: " + outcome
                    + (virtualThreads ? "; virtual threads keep alloc_bytes=-1 alloc_unavailable=virtual_thread" : ""));
        }
    }

    /** Installs the hooks; null when they are in, else why nothing was installed. */
    static String install(String args, Instrumentation inst) throws Throwable {
        applyArgs(args);
        Class<?> virtualThread;
        try {
            virtualThread = Class.forName("java.lang.VirtualThread", false, null);
        } catch (ClassNotFoundException e) {
            return "this JDK (" + Runtime.version() + ") has no virtual threads, nothing to do";
        }
        if (!inst.isRetransformClassesSupported()) {
            return "the JVM does not let agents retransform classes";
        }
        try {
            Class.forName(HOOK, false, null);
            return null; // a second -javaagent of this jar: the first one did the work (or said why not)
        } catch (ClassNotFoundException usual) {
            // not defined yet
        }
        Class<?> hook = defineHook(inst);
        Module hookModule = hook.getModule();
        Module base = Object.class.getModule();
        Module management = ModuleLayer.boot().findModule("java.management")
                .orElseThrow(() -> new IllegalStateException("no java.management module"));
        // VirtualThread (java.base) must read the hook's module; the hook reads the carrier's counter
        // through sun.management's native and asks JavaLangAccess for the carrier once per thread.
        inst.redefineModule(base, Set.of(hookModule), Map.of("jdk.internal.access", Set.of(hookModule),
                "jdk.internal.misc", Set.of(hookModule)), Map.of(), Set.of(), Map.of());
        inst.redefineModule(management, Set.of(), Map.of(), Map.of("sun.management", Set.of(hookModule)),
                Set.of(), Map.of());
        // Where HotSpot keeps the counter, for the hooks' memory read (they check it, and read through JNI without it).
        String layoutProblem = jniRead ? "read=jni" : ThreadCounterLayout.publish();
        Class.forName(HOOK, true, null);
        String problem = (String) hook.getMethod("problem").invoke(null);
        if (problem != null) {
            return problem;
        }
        VirtualThreadTransformer transformer = new VirtualThreadTransformer();
        // Stays registered: a later retransformation by another agent starts again from the class
        // file and would drop the hooks otherwise.
        inst.addTransformer(transformer, true);
        try {
            inst.retransformClasses(virtualThread);
        } catch (Throwable t) {
            inst.removeTransformer(transformer);
            return "retransforming java.lang.VirtualThread failed: " + t;
        }
        if (!transformer.applied()) {
            inst.removeTransformer(transformer);
            return transformer.problem();
        }
        hook.getMethod("markInstalled").invoke(null);
        if (Boolean.getBoolean(VERBOSE_PROPERTY)) {
            // The hooks' own check decides in the end (a layout found can still disagree with the JNI read).
            String read = (String) hook.getMethod("counterRead").invoke(null);
            System.err.println("allocline-agent: installed; the carrier's counter is read " + (read.equals("memory")
                    ? "from HotSpot's memory" : "through JNI (" + (layoutProblem != null ? layoutProblem : read) + ")"));
        }
        return null;
    }

    /**
     * Defines the hook class in the bootstrap class loader, from its bytes in this jar. Not by appending a
     * jar to the bootstrap search: HotSpot then turns off class data sharing for every class but the
     * bootstrap loader's (slower start-up), and appending the agent jar itself would also make the
     * bootstrap loader define the agent's other classes and the shaded ASM.
     */
    private static Class<?> defineHook(Instrumentation inst) throws Throwable {
        byte[] bytes;
        try (InputStream in = AllocLineAgent.class.getClassLoader().getResourceAsStream(HOOK_RESOURCE)) {
            if (in == null) {
                throw new IOException(HOOK_RESOURCE + " is missing from the agent jar");
            }
            bytes = in.readAllBytes();
        }
        Module base = Object.class.getModule();
        inst.redefineModule(base, Set.of(), Map.of("jdk.internal.misc", Set.of(AllocLineAgent.class.getModule())),
                Map.of(), Set.of(), Map.of());
        Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        Object unsafe = lookup.findStatic(unsafeClass, "getUnsafe", MethodType.methodType(unsafeClass)).invoke();
        MethodHandle define = lookup.findVirtual(unsafeClass, "defineClass", MethodType.methodType(Class.class,
                String.class, byte[].class, int.class, int.class, ClassLoader.class, ProtectionDomain.class));
        return (Class<?>) define.invoke(unsafe, HOOK, bytes, 0, bytes.length, (ClassLoader) null, (ProtectionDomain) null);
    }

    private static void applyArgs(String args) {
        if (args == null || args.isBlank()) {
            return;
        }
        for (String part : args.split(",")) {
            String p = part.trim();
            if (p.startsWith("slots=")) {
                System.setProperty("dev.allocline.agent.slots", p.substring("slots=".length()));
            } else if (p.equals("read=jni")) {
                jniRead = true;
            } else if (p.equals("read=memory")) {
                jniRead = false;
            } else if (!p.isEmpty()) {
                System.err.println("allocline-agent: unknown option '" + p + "' ignored (known: slots=N, read=memory|jni)");
            }
        }
    }
}
