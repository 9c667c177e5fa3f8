package dev.allocline.internal.profile;

import dev.allocline.internal.RateLimitedLog;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.Log4j2Sink;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.ProfileStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Decides, on the request thread and in a few atomic operations, whether an overrunning request gets
 * a profile; captures, analyses and stores it on one background thread.
 *
 * <p>Storm safety: a capture is claimed only when none is in flight and the cooldown since the last
 * claim has passed (20 concurrent overruns give one profile); the work queue holds one task; the
 * temporary file is deleted in every outcome; a capture is skipped when it would not fit the disk
 * budget. Constructed by {@code AllocLineFeature}; not meant to be used directly.
 */
public final class ProfileTrigger implements AutoCloseable {

    /** Logger of {@code profile_generated_line}. */
    public static final String PROFILE_LOGGER = "dev.allocline.profile";

    private static final Logger LOG = LogManager.getLogger(PROFILE_LOGGER);
    private static final int SITES = 5;

    private final Settings settings;
    private final RateLimitedLog failures;
    private final ThreadPoolExecutor worker;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private final AtomicLong nextAllowedNanos;
    private final AtomicLong skipped = new AtomicLong();
    private volatile ContinuousAllocationRecording recording;

    /**
     * Settings validated by {@code AllocLineFeature.Builder}.
     *
     * @param kind            what to capture
     * @param store           where it goes
     * @param thresholdBytes  a request's own {@code allocatedBytes} at or above this triggers
     * @param cooldown        least time between two captures
     * @param environment     key prefix
     * @param tempDirectory   where files are written before they are stored
     * @param maxDiskBytes    a capture is skipped when its file could exceed this
     * @param jfrThrottle     {@code jdk.ObjectAllocationSample} throttle, e.g. {@code 300/s}
     * @param jfrMaxAge       how far back the continuous recording reaches
     * @param jfrMaxSizeBytes how large the continuous recording may grow
     * @param heapDumpLive    whether a heap dump holds only live objects (forces a full GC)
     */
    public record Settings(ProfileKind kind, ProfileStore store, long thresholdBytes, Duration cooldown,
                           String environment, Path tempDirectory, long maxDiskBytes, String jfrThrottle,
                           Duration jfrMaxAge, long jfrMaxSizeBytes, boolean heapDumpLive) {
    }

    /** A trigger with these settings; {@link #start()} begins recording. */
    public ProfileTrigger(Settings settings, RateLimitedLog failures) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.failures = Objects.requireNonNull(failures, "failures");
        this.nextAllowedNanos = new AtomicLong(System.nanoTime());
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1), r -> {
            Thread t = new Thread(r, "allocline-profile");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the continuous JFR recording (for {@link ProfileKind#JFR}). */
    public synchronized void start() {
        if (settings.kind() == ProfileKind.JFR && recording == null) {
            recording = new ContinuousAllocationRecording(settings.jfrThrottle(), settings.jfrMaxAge(),
                    settings.jfrMaxSizeBytes());
        }
    }

    /** Whether a request allocating this much would be considered at all (cheap; the request path asks). */
    public boolean overThreshold(long allocatedBytes) {
        return allocatedBytes >= settings.thresholdBytes();
    }

    /**
     * Claims a capture for this request if none is in flight and the cooldown has passed, and queues
     * it. Returns the profile key the line should carry, or empty when no profile will be made.
     */
    public Optional<String> offer(CanonicalLine line, RequestWindow window) {
        if (line.allocatedBytes() < settings.thresholdBytes()) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        long next = nextAllowedNanos.get();
        if (now - next < 0 || !inFlight.compareAndSet(false, true)) {
            skipped.incrementAndGet();
            return Optional.empty();
        }
        nextAllowedNanos.set(now + settings.cooldown().toNanos());
        String key = settings.environment() + "/profiles/" + line.requestId() + settings.kind().extension();
        try {
            worker.execute(() -> capture(key, line, window));
        } catch (RejectedExecutionException e) {
            inFlight.set(false);
            return Optional.empty();
        }
        return Optional.of(key);
    }

    /** How many overruns got no profile (cooldown or one in flight). */
    public long skipped() {
        return skipped.get();
    }

    private void capture(String key, CanonicalLine line, RequestWindow window) {
        Path tmp = null;
        try {
            Files.createDirectories(settings.tempDirectory());
            long expected = expectedSize();
            long usable = Files.getFileStore(settings.tempDirectory()).getUsableSpace();
            if (expected > settings.maxDiskBytes() || expected > usable) {
                failures.warn("profile-disk", "allocline: skipped profile " + key + ": it may need " + expected
                        + " bytes; budget " + settings.maxDiskBytes() + ", free " + usable + " in "
                        + settings.tempDirectory(), null);
                return;
            }
            tmp = settings.tempDirectory().resolve("allocline-" + line.requestId() + "-" + System.nanoTime()
                    + settings.kind().extension());
            captureTo(tmp);
            AllocationSites.Result sites = settings.kind() == ProfileKind.JFR
                    ? AllocationSites.analyse(tmp, window, SITES) : null;
            long size = Files.size(tmp);
            String location = null;
            String storeError = null;
            try {
                location = settings.store().store(key, tmp);
            } catch (IOException | RuntimeException e) {
                storeError = e.getClass().getSimpleName() + ": " + e.getMessage();
                failures.warn("profile-store:" + e.getClass().getName(), "allocline: could not store profile " + key
                        + " in " + settings.store() + ": " + storeError, null);
            }
            // Deleted before the line is logged: once the line is out, nothing is left on disk.
            Files.deleteIfExists(tmp);
            tmp = null;
            logGenerated(key, line, size, location, storeError, sites);
        } catch (IOException | RuntimeException | LinkageError e) {
            failures.warn("profile-capture:" + e.getClass().getName(), "allocline: could not capture profile " + key
                    + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    failures.warn("profile-cleanup", "allocline: could not delete temporary profile " + tmp + ": " + e, null);
                }
            }
            inFlight.set(false);
        }
    }

    private long expectedSize() {
        if (settings.kind() == ProfileKind.JFR) {
            return settings.jfrMaxSizeBytes();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private void captureTo(Path tmp) throws IOException {
        if (settings.kind() == ProfileKind.JFR) {
            ContinuousAllocationRecording r = recording;
            if (r == null) {
                throw new IOException("the JFR recording is not running");
            }
            r.dumpTo(tmp);
        } else {
            ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpHeap(tmp.toString(), settings.heapDumpLive());
        }
    }

    private void logGenerated(String key, CanonicalLine line, long size, String location, String storeError,
                              AllocationSites.Result sites) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("request_id", line.requestId());
        f.put("http_route", line.httpRoute());
        f.put("alloc_bytes", line.allocatedBytes());
        f.put("profile_key", key);
        f.put("profile_kind", settings.kind().name().toLowerCase(java.util.Locale.ROOT));
        f.put("profile_size_bytes", size);
        f.put("stored", location != null);
        if (location != null) {
            f.put("location", location);
        } else {
            f.put("store_error", storeError);
        }
        if (sites != null) {
            f.put("samples", sites.samples());
            f.put("sampled_bytes", sites.sampledBytes());
            putSites(f, "site", sites.topFrames());
            putSites(f, "app_site", sites.appFrames());
        }
        LOG.info(new Log4j2Sink.LineMessage("profile_generated_line", f));
    }

    private static void putSites(Map<String, Object> f, String prefix, List<AllocationSites.Site> sites) {
        for (int i = 0; i < sites.size(); i++) {
            AllocationSites.Site s = sites.get(i);
            String p = prefix + "_" + (i + 1);
            f.put(p, s.frame());
            f.put(p + "_bytes", s.bytes());
            f.put(p + "_share", String.format(java.util.Locale.ROOT, "%.3f", s.share()));
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
                        + timeout + " at shutdown; abandoning it", null);
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            worker.shutdownNow();
        }
        ContinuousAllocationRecording r;
        synchronized (this) {
            r = recording;
            recording = null;
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
