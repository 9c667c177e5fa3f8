package dev.allocline.internal.profile;

import dev.allocline.internal.BackgroundThreads;
import dev.allocline.internal.RateLimitedLog;
import dev.allocline.line.CanonicalLine;
import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.log.LogBackend;
import dev.allocline.internal.log.Logging;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.ProfileListener;
import dev.allocline.profile.ProfileReport;
import dev.allocline.profile.ProfileReport.ProfileResult;
import dev.allocline.profile.ProfileStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides, on the request thread and in one compare-and-set, whether an overrunning request gets a
 * profile; captures, analyses and stores it on one background thread.
 *
 * <p>Storm safety: a capture is claimed only when none is in flight and the cooldown since the last
 * claim has passed (20 concurrent overruns give one profile); the work queue holds one task; the
 * temporary file is deleted in every outcome; a capture is skipped when it would not fit the disk
 * budget. Every key handed out is answered by exactly one {@code profile_generated_line}: stored, or
 * not stored with a {@code reason}. {@link #offer} is called concurrently from request threads;
 * {@link #start()} and {@link #close} by the application's lifecycle. Not API.
 */
public final class ProfileTrigger implements AutoCloseable {

    /** Logger of {@code profile_generated_line}. */
    public static final String PROFILE_LOGGER = "dev.allocline.profile";

    private static final int SITES = 5;
    /** {@link #gate} while a capture is in flight: no claim can succeed. */
    private static final long IN_FLIGHT = Long.MIN_VALUE;

    private final AllocLineSettings settings;
    private final RateLimitedLog failures;
    private final LogBackend log;
    private final ThreadPoolExecutor worker;
    /**
     * {@link #IN_FLIGHT}, or the {@code nanoTime} from which the next claim is allowed. One word, so a
     * claim is one compare-and-set: with a separate in-flight flag and cooldown, a capture that failed
     * fast between another thread's two checks let that thread claim a second one within the cooldown.
     */
    private final AtomicLong gate;
    private volatile ContinuousAllocationRecording recording;
    private SamplingBoost boost;

    private final ProfileListener[] listeners;
    private final RequestThreads requestThreads;

    /** A trigger with these settings; {@link #start()} begins recording. */
    public ProfileTrigger(AllocLineSettings settings, RateLimitedLog failures) {
        this(settings, failures, List.of(), RequestThreads.everyThread());
    }

    /**
     * A trigger that also tells {@code listeners} what became of every overrun, and raises the sampling rate
     * only for {@code requestThreads} ({@link SamplingBoost}).
     */
    public ProfileTrigger(AllocLineSettings settings, RateLimitedLog failures, List<ProfileListener> listeners,
                          RequestThreads requestThreads) {
        this.requestThreads = Objects.requireNonNull(requestThreads, "requestThreads");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.failures = Objects.requireNonNull(failures, "failures");
        this.listeners = listeners.toArray(new ProfileListener[0]);
        this.log = Logging.failures();
        long now = System.nanoTime();
        this.gate = new AtomicLong(now == IN_FLIGHT ? now + 1 : now);
        // Started by the first overrun, on its request thread: nothing of that thread may stay with it.
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1),
                r -> BackgroundThreads.newDaemon(r, "allocline-profile"));
    }

    /** Starts the continuous JFR recording (for {@link ProfileKind#JFR}). */
    public synchronized void start() {
        if (settings.profileKind() == ProfileKind.JFR && recording == null) {
            recording = new ContinuousAllocationRecording(settings.jfrThrottle(), settings.jfrMaxAge(),
                    settings.jfrMaxSizeBytes());
            boost = settings.profileThreshold() > 0
                    ? new SamplingBoost(settings.profileThreshold(), settings.jfrThrottle(), requestThreads, failures) : null;
        }
    }

    /** Whether a request allocating this much would be considered at all (cheap; the request path asks). */
    public boolean overThreshold(long allocatedBytes) {
        return allocatedBytes >= settings.profileThreshold();
    }

    /**
     * Claims a capture for this request if none is in flight and the cooldown has passed, and queues
     * it. Returns the profile key the line should carry, or empty when no profile will be made.
     */
    public Optional<String> offer(CanonicalLine line, RequestWindow window) {
        if (line.allocatedBytes() < settings.profileThreshold()) {
            return Optional.empty();
        }
        long g = gate.get();
        long now = System.nanoTime();
        if (g == IN_FLIGHT || now - g < 0 || !gate.compareAndSet(g, IN_FLIGHT)) {
            if (listeners.length > 0) {
                report(new ProfileReport(ProfileResult.SKIPPED_COOLDOWN, line.requestId(), null, Map.of()));
            }
            return Optional.empty();
        }
        String key = key(line.requestId());
        try {
            worker.execute(() -> capture(now, key, line, window));
        } catch (RejectedExecutionException e) {
            gate.set(g); // shutting down: nothing was claimed after all
            return Optional.empty();
        }
        return Optional.of(key);
    }

    /**
     * {@code {environment}/profiles/{requestId}-{16 hex digits}{extension}}. The id may be the client's (a
     * trusted request-id header) and may repeat; the suffix is the server's, so no client can name the key
     * of another request's profile, and a repeated id still gets a key of its own (one profile line each).
     * The stores refuse a key already stored, so even a collision never replaces a profile.
     */
    private String key(String requestId) {
        return settings.environment() + "/profiles/" + requestId + "-"
                + String.format(Locale.ROOT, "%016x", ThreadLocalRandom.current().nextLong())
                + settings.profileKind().extension();
    }

    private void capture(long claimedAt, String key, CanonicalLine line, RequestWindow window) {
        Path tmp = null;
        Path requestTmp = null;
        Path flameTmp = null;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("request_id", line.requestId());
        f.put("http_route", line.httpRoute());
        f.put("alloc_bytes", line.allocatedBytes());
        f.put("profile_key", key);
        f.put("profile_kind", settings.profileKind().name().toLowerCase(Locale.ROOT));
        try {
            Path dir = PrivateDirectory.prepare(settings.profileTempDirectory());
            long expected = expectedSize();
            long usable = Files.getFileStore(settings.profileTempDirectory()).getUsableSpace();
            if (expected > settings.profileMaxDiskBytes() || expected > usable) {
                String detail = "it may need " + expected + " bytes; budget " + settings.profileMaxDiskBytes()
                        + ", free " + usable + " in " + settings.profileTempDirectory();
                failures.warn("profile-disk", "allocline: skipped profile " + key + ": " + detail, null);
                notStored(f, "disk_budget", detail);
                return;
            }
            // Owner-only from its creation, under a name of the library's (not the client's request id).
            tmp = PrivateDirectory.newFile(dir, "allocline-", settings.profileKind().extension());
            captureTo(tmp);
            if (settings.profileKind() == ProfileKind.JFR && window != null) {
                window = exactSpans(tmp, window, f);
            }
            AllocationSites.Result sites = settings.profileKind() == ProfileKind.JFR
                    ? AllocationSites.analyse(tmp, window, SITES, settings.applicationPackages()) : null;
            f.put("profile_size_bytes", Files.size(tmp));
            boolean jfr = settings.profileKind() == ProfileKind.JFR;
            String requestUnavailable = window == null ? "no_spans" : RequestRecording.UNAVAILABLE;
            if (jfr && requestUnavailable == null) {
                requestTmp = PrivateDirectory.newFile(dir, "allocline-", ".request.jfr");
                try {
                    RequestRecording.write(tmp, requestTmp, window);
                } catch (IOException | RuntimeException e) {
                    // The full recording is still worth storing; the line says why its cut is missing.
                    failures.warn("profile-request-recording", "allocline: could not write the request recording of "
                            + key + ": " + e, e);
                    requestUnavailable = "write_failed";
                }
            }
            String flameUnavailable = window == null ? "no_spans" : FlameGraphs.UNAVAILABLE;
            if (jfr && flameUnavailable == null) {
                flameTmp = PrivateDirectory.newFile(dir, "allocline-", ".html");
                try {
                    renderFlameGraph(tmp, requestUnavailable == null ? requestTmp : null, window, flameTmp, line);
                } catch (IOException | RuntimeException | LinkageError e) {
                    failures.warn("profile-flamegraph", "allocline: could not render the flame graph of " + key + ": " + e, e);
                    flameUnavailable = "render_failed";
                }
            }
            String location = null;
            String storeError = null;
            try {
                location = settings.profileStore().store(key, tmp);
            } catch (IOException | RuntimeException e) {
                storeError = e.getClass().getSimpleName() + ": " + e.getMessage();
                failures.warn("profile-store:" + e.getClass().getName(), "allocline: could not store profile " + key
                        + " in " + settings.profileStore() + ": " + storeError, null);
            }
            if (location != null) {
                f.put("stored", true);
                f.put("location", location);
                if (jfr) {
                    storeDerived(key, ".request.jfr", "request_recording", requestUnavailable == null ? requestTmp : null,
                            requestUnavailable, f);
                    storeDerived(key, ".flamegraph.html", "flamegraph", flameUnavailable == null ? flameTmp : null,
                            flameUnavailable, f);
                }
            } else {
                f.put("stored", false);
                f.put("reason", "store_failed");
                f.put("detail", storeError);
            }
            if (sites != null) {
                f.put("samples", sites.samples());
                f.put("sampled_bytes", sites.sampledBytes());
                // How much of alloc_bytes the samples' weights account for: near 1 when sampling kept up.
                f.put("sampled_ratio", line.allocatedBytes() > 0 ? String.format(Locale.ROOT, "%.3f",
                        (double) sites.sampledBytes() / line.allocatedBytes()) : "n/a");
                putSites(f, "site", sites.topFrames());
                putSites(f, "app_site", sites.appFrames());
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            failures.warn("profile-capture:" + e.getClass().getName(), "allocline: could not capture profile " + key
                    + ": " + e, e);
            notStored(f, "capture_failed", e.toString());
        } finally {
            // Deleted before the line is logged: once the line is out, nothing is left on disk.
            delete(tmp);
            delete(requestTmp);
            delete(flameTmp);
            // Open the gate before the line goes out: whoever reads the line may rely on the next capture
            // being allowed once the cooldown (counted from the claim) has passed.
            gate.set(claimedAt + settings.profileCooldown().toNanos() == IN_FLIGHT
                    ? IN_FLIGHT + 1 : claimedAt + settings.profileCooldown().toNanos());
            try {
                log.line(PROFILE_LOGGER, "profile_generated_line", f);
            } catch (RuntimeException | LinkageError e) {
                failures.warn("profile-line", "allocline: could not log profile_generated_line for " + key + ": " + e, e);
            }
            if (listeners.length > 0) {
                report(new ProfileReport(resultOf(f), line.requestId(), key, f));
            }
        }
    }

    /**
     * Stores what was derived from the profile beside it, under the profile key with {@code extension} for
     * {@code .jfr}, and names it on the line as {@code field}; or says as {@code field_unavailable} why there
     * is none. Stored only once the full recording is: a derived file without it would be an orphan.
     */
    private void storeDerived(String key, String extension, String field, Path file, String unavailable,
                              Map<String, Object> f) {
        if (file == null) {
            f.put(field + "_unavailable", unavailable);
            return;
        }
        String derived = derivedKey(key, extension);
        try {
            f.put(field, settings.profileStore().store(derived, file));
        } catch (IOException | RuntimeException e) {
            f.put(field + "_unavailable", "store_failed");
            failures.warn("profile-store:" + e.getClass().getName(), "allocline: could not store profile " + derived
                    + " in " + settings.profileStore() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(), null);
        }
    }

    /**
     * The request's samples as a flame graph: converted from its own recording, or, where the JDK cannot
     * write one (17, 18), from the full one through the same filter.
     */
    /**
     * The request's spans from its stretch events in the capture (JFR's clock, exactly the stretches counted);
     * the measured ones when the capture has none or cannot be read for them. The line says which.
     */
    private RequestWindow exactSpans(Path capture, RequestWindow window, Map<String, Object> f) {
        try {
            RequestWindow exact = StretchSpans.of(capture, window);
            f.put("request_spans", exact != null ? "stretch_events" : "measured");
            return exact != null ? exact : window;
        } catch (IOException | RuntimeException e) {
            failures.warn("profile-stretches", "allocline: could not read the stretch events of " + f.get("profile_key")
                    + "; its request is cut by the measured spans: " + e, e);
            f.put("request_spans", "measured");
            return window;
        }
    }

    private static void renderFlameGraph(Path full, Path requestRecording, RequestWindow window, Path html,
                                         CanonicalLine line) throws IOException {
        // The request id may be the client's: only harmless characters reach the page's title.
        String title = ("Allocations of " + line.httpMethod() + " " + line.httpRoute() + ", request "
                + line.requestId() + ", " + line.allocatedBytes() + " bytes").replaceAll("[^A-Za-z0-9 ./{}_,:-]", "_");
        if (requestRecording != null) {
            FlameGraphs.render(requestRecording, html, title);
        } else {
            FlameGraphs.render(full, RequestRecording.of(window), html, title);
        }
    }

    /** {@code {environment}/profiles/{requestId}-{suffix}.jfr} with {@code .jfr} replaced by {@code extension}. */
    static String derivedKey(String key, String extension) {
        String jfr = ProfileKind.JFR.extension();
        return (key.endsWith(jfr) ? key.substring(0, key.length() - jfr.length()) : key) + extension;
    }

    private void delete(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                failures.warn("profile-cleanup", "allocline: could not delete temporary profile " + file + ": " + e, null);
            }
        }
    }

    private static ProfileResult resultOf(Map<String, Object> f) {
        if (Boolean.TRUE.equals(f.get("stored"))) {
            return ProfileResult.STORED;
        }
        Object reason = f.get("reason");
        if ("disk_budget".equals(reason)) {
            return ProfileResult.SKIPPED_DISK_BUDGET;
        }
        return "store_failed".equals(reason) ? ProfileResult.STORE_FAILED : ProfileResult.CAPTURE_FAILED;
    }

    private void report(ProfileReport r) {
        for (ProfileListener l : listeners) {
            try {
                l.onProfile(r);
            } catch (RuntimeException | LinkageError | AssertionError e) {
                failures.warn("profile-listener:" + l.getClass().getName(), "allocline: profile listener "
                        + l.getClass().getName() + " failed for request " + r.requestId() + ": " + e, e);
            }
        }
    }

    private static void notStored(Map<String, Object> f, String reason, String detail) {
        f.put("stored", false);
        f.put("reason", reason);
        f.put("detail", detail);
    }

    private long expectedSize() {
        if (settings.profileKind() == ProfileKind.JFR) {
            return settings.jfrMaxSizeBytes();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private void captureTo(Path tmp) throws IOException {
        if (settings.profileKind() == ProfileKind.JFR) {
            ContinuousAllocationRecording r = recording;
            if (r == null) {
                throw new IOException("the JFR recording is not running");
            }
            r.dumpTo(tmp);
        } else {
            // dumpHeap refuses an existing file: the owner-only one made for it is removed first. Nobody else
            // can take the name in between, the directory being this user's alone.
            Files.delete(tmp);
            ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpHeap(tmp.toString(), settings.heapDumpLive());
            PrivateDirectory.restrict(tmp); // HotSpot writes 0600 today; not a documented promise
        }
    }

    private static void putSites(Map<String, Object> f, String prefix, List<AllocationSites.Site> sites) {
        for (int i = 0; i < sites.size(); i++) {
            AllocationSites.Site s = sites.get(i);
            String p = prefix + "_" + (i + 1);
            f.put(p, s.frame());
            f.put(p + "_bytes", s.bytes());
            f.put(p + "_share", String.format(Locale.ROOT, "%.3f", s.share()));
        }
    }

    /**
     * Stops taking new captures, waits up to {@code timeout} for one in flight (its upload), then stops
     * the recording.
     */
    public void close(Duration timeout) {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                failures.warn("profile-shutdown", "allocline: a profile upload was still running after "
                        + timeout + " at shutdown; interrupting it", null);
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            worker.shutdownNow();
        }
        ContinuousAllocationRecording r;
        SamplingBoost b;
        synchronized (this) {
            r = recording;
            recording = null;
            b = boost;
            boost = null;
        }
        if (b != null) {
            b.close();
        }
        if (r != null) {
            r.close();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
