package dev.allocline.internal.accounting;

import dev.allocline.internal.RateLimitedLog;
import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.meter.ProcessAllocationSampler;
import dev.allocline.internal.meter.ThreadAllocationCounter;
import dev.allocline.internal.profile.ProfileTrigger;
import dev.allocline.internal.profile.RequestWindow;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.profile.ProfileListener;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * What every request of one application shares: the settings, the counters, the sinks, the profile
 * trigger, the failure log. Whatever entry point sees the request (Jersey's events, the standard
 * filter pair) holds a {@link Request} against one of these. {@link #emit} is called
 * concurrently from request threads; {@link #start()} and {@link #stop()} by the application's
 * lifecycle. Not API.
 */
public final class AllocLineRuntime {

    final ThreadAllocationCounter counter;
    final RateLimitedLog failures;
    final LoggingContext context;
    private final AllocLineSettings settings;
    private final CanonicalLineSink[] sinks;
    private final ProfileTrigger profiles;
    private final Predicate<CanonicalLine> skip;
    private final PendingRequests pending;
    private volatile ProcessAllocationSampler.Lease lease;
    private volatile boolean started;
    private boolean stopped;

    public AllocLineRuntime(AllocLineSettings settings) {
        this(settings, null);
    }

    /**
     * {@code contextSharedByRequest}: whether, on the calling thread, the logging context is the request's
     * rather than the thread's (shared by all threads working for the request, as Quarkus' Vert.x MDC is);
     * null when it never is.
     */
    public AllocLineRuntime(AllocLineSettings settings, java.util.function.BooleanSupplier contextSharedByRequest) {
        this(settings, contextSharedByRequest, null);
    }

    /**
     * {@code contextOwnedBy}: whether, on the calling thread, the logging context is the given request's own (Quarkus:
     * the current Vert.x context is the request's duplicated context, where its MDC lives and nothing but the
     * request's work runs); there the id is put once and stays, so a stretch of work in it writes nothing. Null when
     * no context is a request's own.
     */
    public AllocLineRuntime(AllocLineSettings settings, java.util.function.BooleanSupplier contextSharedByRequest,
            java.util.function.Predicate<Request> contextOwnedBy) {
        this.settings = settings;
        this.counter = ThreadAllocationCounter.platform();
        this.failures = new RateLimitedLog("dev.allocline", settings.failureLogPeriod());
        this.sinks = settings.sinks().toArray(new CanonicalLineSink[0]);
        java.util.List<ProfileListener> listeners = new java.util.ArrayList<>();
        for (CanonicalLineSink sink : settings.sinks()) {
            if (sink instanceof ProfileListener) {
                listeners.add((ProfileListener) sink);
            }
        }
        // Only threads working for one of its requests (ThreadWork keeps their stacks in WorkingThreads' slots)
        // can raise the sampling rate.
        this.profiles = settings.profiling()
                ? new ProfileTrigger(settings, failures, listeners, WorkingThreads.of(this)) : null;
        this.skip = settings.skip();
        this.context = LoggingContext.create(settings.contextKey(), contextSharedByRequest, contextOwnedBy);
        this.pending = new PendingRequests(failures);
    }

    /** The failure log of this application (rate-limited, one message per cause and period). */
    public RateLimitedLog failures() {
        return failures;
    }

    /** The settings in force. */
    public AllocLineSettings settings() {
        return settings;
    }

    /**
     * Starts the background parts once the application is ready (not at the start of its
     * initialisation: an initialisation that fails is followed by no destroy, and would leak them).
     * Idempotent; a stopped runtime does not start again.
     */
    public synchronized void start() {
        if (started || stopped) {
            return;
        }
        started = true;
        if (profiles != null) {
            profiles.start();
        }
        if (settings.processDelta()) {
            if (ProcessAllocationSampler.isAvailable()) {
                lease = ProcessAllocationSampler.acquire(settings.processSampleInterval());
            } else {
                failures.warn("no-total-alloc", "allocline: this JVM has no getTotalThreadAllocatedBytes "
                        + "(needs 17.0.11+ or 21+); total_alloc_delta will be -1", null);
            }
        }
    }

    /**
     * Starts the background parts on first use, for entry points that get no lifecycle event (the
     * standard filter pair): one volatile read once started.
     */
    public void ensureStarted() {
        if (!started) {
            start();
        }
    }

    /** Stops the background parts; requests still in flight keep a valid process-wide figure. */
    public synchronized void stop() {
        stopped = true;
        ProcessAllocationSampler.Lease l = lease;
        if (l != null) {
            l.close(); // the lease keeps answering with direct reads
        }
        if (profiles != null) {
            profiles.close(settings.shutdownTimeout());
        }
        pending.endAll(); // a stopped application answers nothing more: their ends will not come
    }

    /** A request one of whose threads went on without its end being seen (see {@link PendingRequests}). */
    void pending(Request r) {
        pending.add(r, System.nanoTime());
    }

    /**
     * Writes the {@code end_not_seen} lines of pending requests whose end has not come within
     * {@link PendingRequests#TIMEOUT_NANOS}; one volatile read when none is pending. Called by the standard
     * filters at each request's start (no thread of allocline's own is needed for it).
     */
    public void sweepPending() {
        if (pending.any()) { // the clock is read only when something is pending
            pending.sweep(System.nanoTime());
        }
    }

    /** For tests: the sweep as it would run at {@code nowNanos}. */
    void sweepPending(long nowNanos) {
        pending.sweep(nowNanos);
    }

    long processTotal() {
        ProcessAllocationSampler.Lease l = lease;
        return l == null ? -1L : l.sampledTotalAllocatedBytes();
    }

    boolean profiling() {
        return profiles != null;
    }

    /** Whether a request that allocated {@code bytes} would be offered to the profile trigger. */
    boolean wouldProfile(long bytes) {
        return profiles != null && profiles.overThreshold(bytes);
    }

    /**
     * Tells every sink that is a {@link dev.allocline.line.DeclaredRoutesListener} the route templates the
     * application declares (relative to its base path, as {@link Routes#normalise} spells them). A listener
     * that throws is contained and logged.
     */
    public void declareRoutes(java.util.Set<String> templates) {
        java.util.Set<String> declared = java.util.Set.copyOf(templates);
        for (CanonicalLineSink sink : sinks) {
            if (sink instanceof dev.allocline.line.DeclaredRoutesListener) {
                try {
                    ((dev.allocline.line.DeclaredRoutesListener) sink).onDeclaredRoutes(declared);
                } catch (RuntimeException | LinkageError e) {
                    failures.warn("routes:" + sink.getClass().getName(), "allocline: sink " + sink.getClass().getName()
                            + " failed to take the application's routes; its lines are unaffected: " + e, e);
                }
            }
        }
    }

    /** Whether anything reads a finished request's line: a sink or the profile trigger. */
    boolean hasConsumers() {
        return sinks.length > 0 || profiles != null;
    }

    /** An id for a request: the trusted inbound one when it is well-formed, else 32 random hex digits. */
    public String requestId(String inbound) {
        if (inbound != null && settings.requestIdHeader() != null && isWellFormedId(inbound)) {
            return inbound;
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long a = r.nextLong();
        long b = r.nextLong();
        byte[] digits;
        if (ThreadAllocationCounter.isVirtual(Thread.currentThread())) {
            digits = new byte[32]; // not even a lookup: ThreadLocal.get() on a thread without the entry makes one
        } else {
            digits = ID_DIGITS.get();
            if (digits == null) {
                digits = new byte[32];
                ID_DIGITS.set(digits);
            }
        }
        for (int i = 0; i < 16; i++) {
            int shift = 60 - 4 * i;
            digits[i] = HEX[(int) (a >>> shift) & 0xf];
            digits[16 + i] = HEX[(int) (b >>> shift) & 0xf];
        }
        // The String gets its own copy of the digits (one array, as any 32-character id has); the scratch stays
        // with the thread for its next request.
        return new String(digits, 0, 32, StandardCharsets.ISO_8859_1);
    }

    /** Whether the calling thread keeps a scratch array for its ids (a test seam: virtual threads do not). */
    static boolean keepsIdScratch() {
        return ID_DIGITS.get() != null;
    }

    /** 1–128 characters of {@code [A-Za-z0-9._:-]}: nothing a log parser or a header could trip on. */
    static boolean isWellFormedId(String id) {
        int n = id.length();
        if (n == 0 || n > 128) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                    || c == ':' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

    /**
     * Each platform thread's 32 digits, written in place and copied once into the id. The id was a concatenation of
     * 16 two-digit strings: as many bytes, but its method-handle chain was the largest single part of the accounting
     * in an async-profiler profile of in-process requests (README, "Overhead": item 1's CPU ratio fell by 0.011-0.014
     * with this). A virtual thread (usually one per request) keeps none: a thread-local entry and an array per
     * virtual thread would cost more than they save. A byte array refers to no class of the application, so a
     * pooled thread keeping it pins no class loader.
     */
    private static final ThreadLocal<byte[]> ID_DIGITS = new ThreadLocal<>();

    /**
     * Offers the line to the profile trigger, puts its figure on the request's span (if one was kept), then
     * hands it to every sink unless it is skipped. A 5xx or an overrun is never skipped; a skipped line's
     * span still gets its figure. A sink, trigger or span that throws is contained and logged, rate-limited.
     */
    void emit(CanonicalLine line, RequestWindow window, Object span) {
        boolean overrun = false;
        if (profiles != null && profiles.overThreshold(line.allocatedBytes())) {
            overrun = true;
            try {
                Optional<String> key = profiles.offer(line, window);
                if (key.isPresent()) {
                    line = line.withProfileKey(key.get());
                }
            } catch (RuntimeException | LinkageError e) {
                failures.warn("profile-offer", "allocline: profile trigger failed for request " + line.requestId()
                        + "; the request is unaffected: " + e, e);
            }
        }
        if (span != null) {
            try {
                TraceContext.tag(span, line);
            } catch (RuntimeException | LinkageError e) {
                failures.warn("span-attributes", "allocline: could not put the figure on the span of request "
                        + line.requestId() + "; the line is written: " + e, e);
            }
        }
        try {
            // Into recordings that enable it, skipped lines too. Checked here so that the event class (a JFR
            // event, registered when loaded) is not loaded in a JVM where JFR never started.
            if (jdk.jfr.FlightRecorder.isInitialized()) {
                LineEvent.commit(line);
            }
        } catch (RuntimeException | LinkageError e) {
            failures.warn("line-event", "allocline: could not record the line event of request " + line.requestId()
                    + "; the line is written: " + e, e);
        }
        if (skip != null && !overrun && line.status() < 500) {
            try {
                if (skip.test(line)) {
                    return;
                }
            } catch (RuntimeException | LinkageError e) {
                failures.warn("skip", "allocline: the skip predicate failed for request " + line.requestId()
                        + "; the line is written: " + e, e);
            }
        }
        for (CanonicalLineSink sink : sinks) {
            try {
                sink.accept(line);
            } catch (RuntimeException | LinkageError | AssertionError e) {
                failures.warn("sink:" + sink.getClass().getName(), "allocline: sink " + sink.getClass().getName()
                        + " failed for request " + line.requestId() + "; the request is unaffected: " + e, e);
            }
        }
    }

}
