package dev.allocline.agent.hook;

/**
 * The agent's options, as the hooks' initialiser reads them once. Written only by the agent's definer module
 * (this package is open to it and to no other module) between defining these classes and initialising
 * {@link VirtualThreadCounters}; not a system property, which any code could set before the agent starts.
 */
final class Settings {

    /** {@code slots=N}: how many virtual threads that asked can be counted at once (rounded up to a power of two). */
    static int slots = 16384;
    /** {@code read=jni}: the hooks read the carrier's counter through JNI only (the slower way, for comparison). */
    static boolean jniRead;

    private Settings() {
    }
}
