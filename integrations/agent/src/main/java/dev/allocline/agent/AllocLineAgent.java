package dev.allocline.agent;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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
 * <p>JDK internals: the hooks need three JDK-internal packages, and defining them needs two more. The agent's own
 * classes (this one, loaded by the system class loader into its unnamed module, with everything else on the class
 * path) get none of them: exporting one to this class's module would export it to every library on the class path.
 * They go to two named modules the agent alone defines: {@code dev.allocline.agent.definer}, in a module layer of
 * its own, which defines the hooks' module ({@link DefinerModule}); and {@code dev.allocline.agent.hook}, the hooks'
 * module, defined to the bootstrap class loader and open to no one but the definer.
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
    private static final String DEFINER = "dev.allocline.agent.definer.HookDefiner";
    private static final int DEFAULT_SLOTS = 16384;

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
        int slots = DEFAULT_SLOTS;
        boolean jniRead = false;
        if (args != null) {
            for (String part : args.split(",")) {
                String p = part.trim();
                if (p.startsWith("slots=")) {
                    try {
                        slots = Integer.parseInt(p.substring("slots=".length()).trim());
                    } catch (NumberFormatException e) {
                        System.err.println("allocline-agent: option '" + p + "' is not a number; slots=" + DEFAULT_SLOTS);
                    }
                } else if (p.equals("read=jni") || p.equals("read=memory")) {
                    jniRead = p.equals("read=jni");
                } else if (!p.isEmpty()) {
                    System.err.println("allocline-agent: unknown option '" + p + "' ignored (known: slots=N, read=memory|jni)");
                }
            }
        }
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
        Map<String, byte[]> jar = DefinerModule.classFiles(AllocLineAgent.class);
        Module base = Object.class.getModule();
        Module management = ModuleLayer.boot().findModule("java.management")
                .orElseThrow(() -> new IllegalStateException("no java.management module"));

        Module definer = DefinerModule.define(jar, AllocLineAgent.class.getModule());
        inst.redefineModule(base, Set.of(), Map.of("jdk.internal.misc", Set.of(definer), "jdk.internal.module", Set.of(definer)),
                Map.of(), Set.of(), Map.of());
        Class<?> definerClass = Class.forName(DEFINER, true, definer.getClassLoader());
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        MethodHandle defineHooks = lookup.findStatic(definerClass, "define",
                MethodType.methodType(Module.class, Map.class, int.class, boolean.class));
        Module hookModule = (Module) defineHooks.invokeExact(DefinerModule.inPackage(jar, "dev.allocline.agent.hook"), slots, jniRead);

        // VirtualThread (java.base) must read the hooks' module; the hooks read HotSpot's memory (jdk.internal.misc),
        // ask JavaLangAccess for the carrier once per thread, and read a thread's counter through sun.management's native.
        inst.redefineModule(base, Set.of(hookModule), Map.of("jdk.internal.access", Set.of(hookModule),
                "jdk.internal.misc", Set.of(hookModule)), Map.of(), Set.of(), Map.of());
        inst.redefineModule(management, Set.of(), Map.of(), Map.of("sun.management", Set.of(hookModule)),
                Set.of(), Map.of());
        Class<?> hook = Class.forName(HOOK, true, null);
        if (hook.getModule() != hookModule) {
            throw new IllegalStateException(HOOK + " is in " + hook.getModule() + ", not in " + hookModule);
        }
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
        lookup.findStatic(definerClass, "markInstalled", MethodType.methodType(void.class, Class.class)).invokeExact(hook);
        if (Boolean.getBoolean(VERBOSE_PROPERTY)) {
            String read = (String) hook.getMethod("counterRead").invoke(null);
            System.err.println("allocline-agent: installed; the carrier's counter is read " + (read.equals("memory")
                    ? "from HotSpot's memory" : "through JNI (" + read.substring(read.indexOf(':') + 1).trim() + ")"));
        }
        return null;
    }
}
