package dev.allocline.profile;

/** What is captured when a request allocates over the threshold. Immutable; any thread. */
public enum ProfileKind {
    /**
     * The default: a dump of a continuous, bounded JFR recording with {@code jdk.ObjectAllocationSample}
     * (sampled allocation stacks, the JVM's answer to Go's heap profile). Small, cheap, and free of
     * application data beyond class and method names.
     */
    JFR(".jfr"),
    /**
     * Opt-in: a full heap dump ({@code .hprof}) via {@code HotSpotDiagnosticMXBean.dumpHeap}. It holds
     * every object in the heap — passwords, tokens, personal data — so store it accordingly. A live
     * dump forces a full GC and pauses the JVM for as long as the dump takes.
     */
    HEAP_DUMP(".hprof");

    private final String extension;

    ProfileKind(String extension) {
        this.extension = extension;
    }

    /** The file extension, with its dot. */
    public String extension() {
        return extension;
    }
}
