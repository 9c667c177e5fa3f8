package dev.allocline.micrometer;

import dev.allocline.AllocLine;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.BoundedRoutes;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.line.DeclaredRoutesListener;
import dev.allocline.profile.ProfileListener;
import dev.allocline.profile.ProfileReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.http.Outcome;
import dev.allocline.profile.ProfileReport.ProfileResult;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.WeakHashMap;

/**
 * Records every canonical line in Micrometer, so teams alert on the route, not grep for the request:
 *
 * <ul>
 *   <li>{@code http.server.requests.allocated}: a distribution summary of each request's
 *       {@code alloc_bytes} (base unit {@code bytes}), tagged {@code method}, {@code uri}, {@code status},
 *       {@code outcome} the way Micrometer's own Jersey instrumentation tags {@code http.server.requests}
 *       ({@code uri} is the route template; {@code NOT_FOUND} for 404, {@code REDIRECTION} for 3xx,
 *       {@code root} for {@code /}, {@code UNKNOWN} when nothing matched), so both line up on one dashboard;</li>
 *   <li>{@code http.server.requests.allocated.unavailable}: requests whose bytes the JVM could not count
 *       ({@code alloc_bytes=-1}), tagged with the {@code reason} instead of being recorded as 0;</li>
 *   <li>{@code allocline.profiles}: overruns by {@code result} ({@code stored}, {@code store_failed},
 *       {@code capture_failed}, {@code skipped_disk_budget}, {@code skipped_cooldown});</li>
 *   <li>{@code allocline.process.allocated}: the process-wide allocated bytes as a function counter
 *       (its rate is the allocation rate), where the JVM has them; one per registry, reading while any
 *       sink on that registry is alive (several applications may share one registry).</li>
 * </ul>
 *
 * Cardinality is bounded: tags come from route templates and a fixed set of methods, never from raw
 * paths, and at most {@link Builder#maxUris} routes get series of their own. The application's own routes,
 * which the Jersey Feature declares at start ({@link DeclaredRoutesListener}), have slots of their own beside
 * that bound: routes made at run time (sub-resource locators) or by a container's odd spelling, however many
 * come first, never push them into {@link #OTHER_URIS}. Percentile histograms and service-level buckets are
 * opt-in ({@link #builder}).
 *
 * <pre>{@code
 * AllocLineFeature.builder().sink(new MicrometerSink(registry)).build();
 * }</pre>
 *
 * Called concurrently from request threads; recording is a map lookup and an atomic add.
 */
public final class MicrometerSink implements CanonicalLineSink, ProfileListener, DeclaredRoutesListener {

    /** The summary's name, beside Micrometer's {@code http.server.requests}. */
    public static final String ALLOCATED = "http.server.requests.allocated";
    /** Requests whose bytes could not be counted. */
    public static final String UNAVAILABLE = "http.server.requests.allocated.unavailable";
    /** Overruns by what became of their profile. */
    public static final String PROFILES = "allocline.profiles";
    /** The process-wide allocated bytes. */
    public static final String PROCESS_ALLOCATED = "allocline.process.allocated";

    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
            "TRACE", "CONNECT");

    /** The {@code uri} tag of every route past {@link Builder#maxUris}. */
    public static final String OTHER_URIS = "OTHER";

    private final MeterRegistry registry;
    /** The {@code uri} values with series of their own. */
    private final BoundedRoutes routes;
    private final boolean percentileHistogram;
    private final double[] slos;
    private final ConcurrentMap<Key, DistributionSummary> summaries = new ConcurrentHashMap<>();
    /**
     * Registering a meter again for every line (a builder, its tags, an id and the registry's lookup: ~220 B
     * measured) is what every request of a virtual-thread service would pay; the counters are kept instead.
     */
    private final ConcurrentMap<UnavailableKey, Counter> unavailable = new ConcurrentHashMap<>();
    /** Registered on first use, so a scrape shows only results that happened (as before: no zero series). */
    private final ConcurrentMap<ProfileResult, Counter> profiles = new ConcurrentHashMap<>();
    /** Held so the registry's process counter keeps reading while this sink lives (see {@link ProcessTotal}). */
    private final ProcessTotal processTotal;

    private record Key(String method, String uri, int status) {
    }

    private record UnavailableKey(String method, String uri, String reason) {
    }

    /**
     * The state object of a registry's {@code allocline.process.allocated} counter, shared by every sink on that
     * registry. Micrometer holds a function counter's state weakly and registers a meter once per id: were the
     * state the first sink, the counter would stop reading when that sink's application is gone, even while
     * another application's sink still uses the registry. Each sink holds its registry's token strongly, so
     * the counter reads while any of them lives; the registry still holds no sink.
     */
    private static final class ProcessTotal {
        double read() {
            return AllocLine.processAllocatedBytes().orElse(0);
        }
    }

    /** Registry to the token of its process counter; weak both ways, so neither side is kept alive by it. */
    private static final Map<MeterRegistry, WeakReference<ProcessTotal>> PROCESS_TOTALS = new WeakHashMap<>();

    /** A sink with the defaults (no histogram buckets). */
    public MicrometerSink(MeterRegistry registry) {
        this(builder(registry));
    }

    private MicrometerSink(Builder b) {
        this.registry = b.registry;
        this.percentileHistogram = b.percentileHistogram;
        this.slos = b.slos;
        this.routes = new BoundedRoutes(b.maxUris, OTHER_URIS, TAG_CONSTANTS);
        this.processTotal = AllocLine.processAllocatedBytes().isPresent() ? processTotal(registry) : null;
    }

    private static ProcessTotal processTotal(MeterRegistry registry) {
        synchronized (PROCESS_TOTALS) {
            WeakReference<ProcessTotal> ref = PROCESS_TOTALS.get(registry);
            ProcessTotal total = ref == null ? null : ref.get();
            if (total != null) {
                return total;
            }
            // Every sink that used this registry is gone: their counter no longer reads, so it is replaced.
            FunctionCounter stale = registry.find(PROCESS_ALLOCATED).functionCounter();
            if (stale != null) {
                registry.remove(stale);
            }
            total = new ProcessTotal();
            FunctionCounter.builder(PROCESS_ALLOCATED, total, ProcessTotal::read)
                    .baseUnit("bytes").description("Bytes allocated by the whole process, dead threads included")
                    .register(registry);
            PROCESS_TOTALS.put(registry, new WeakReference<>(total));
            return total;
        }
    }

    /** Options for the sink. */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    @Override
    public void accept(CanonicalLine line) {
        String method = METHODS.contains(line.httpMethod()) ? line.httpMethod() : "UNKNOWN";
        String uri = admitted(uri(line));
        if (line.allocatedBytes() < 0) {
            unavailable.computeIfAbsent(new UnavailableKey(method, uri, line.allocUnavailableReason().orElse("unavailable")),
                    this::unavailableCounter).increment();
            return;
        }
        summaries.computeIfAbsent(new Key(method, uri, line.status()), this::summary).record(line.allocatedBytes());
    }

    private Counter unavailableCounter(UnavailableKey k) {
        return Counter.builder(UNAVAILABLE).baseUnit("requests")
                .description("Requests whose allocated bytes the JVM could not count")
                .tags("method", k.method(), "uri", k.uri(), "reason", k.reason()).register(registry);
    }

    private DistributionSummary summary(Key k) {
        DistributionSummary.Builder b = DistributionSummary.builder(ALLOCATED).baseUnit("bytes")
                .description("Bytes allocated by each request, on every thread it touched")
                .tags(Tags.of("method", k.method(), "uri", k.uri(), "status", Integer.toString(k.status()),
                        "outcome", Outcome.forStatus(k.status()).name()));
        if (percentileHistogram) {
            b.publishPercentileHistogram();
        }
        if (slos.length > 0) {
            b.serviceLevelObjectives(slos);
        }
        return b.register(registry);
    }

    /**
     * {@code uri}, or {@link #OTHER_URIS} past {@link Builder#maxUris} values ({@link BoundedRoutes}: the application's
     * declared routes have a pool of their own). The fixed values of no route are always their own.
     */
    private String admitted(String uri) {
        return routes.admit(uri);
    }

    /** The {@code uri} values of no route: a fixed few, never counted against a bound. */
    private static final Set<String> TAG_CONSTANTS = Set.of("root", "UNKNOWN", "NOT_FOUND", "REDIRECTION");

    /** Reserves series for the routes an application declares (the Jersey Feature calls it at start). */
    @Override
    public void onDeclaredRoutes(Set<String> templates) {
        routes.onDeclaredRoutes(templates);
    }

    /** Micrometer's Jersey conventions for the {@code uri} tag. */
    static String uri(CanonicalLine line) {
        int status = line.status();
        if (status >= 300 && status < 400) {
            return "REDIRECTION";
        }
        if (status == 404) {
            return "NOT_FOUND";
        }
        String route = line.httpRoute();
        if (route.isEmpty()) {
            return "UNKNOWN";
        }
        return route.equals("/") ? "root" : route;
    }

    @Override
    public void onProfile(ProfileReport report) {
        Counter c = profiles.get(report.result());
        if (c == null) {
            c = profiles.computeIfAbsent(report.result(), r -> Counter.builder(PROFILES)
                    .description("Requests over the profile threshold, by what became of their profile")
                    .tag("result", r.tag()).register(registry));
        }
        c.increment();
    }

    /** Options of a {@link MicrometerSink}. */
    public static final class Builder {
        private final MeterRegistry registry;
        private boolean percentileHistogram;
        private double[] slos = new double[0];
        private int maxUris = 1000;

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** Publishes a percentile histogram (Prometheus {@code _bucket} series) for each route. Default off. */
        public Builder percentileHistogram(boolean enabled) {
            this.percentileHistogram = enabled;
            return this;
        }

        /** Service-level buckets in bytes, e.g. {@code 1 MiB, 64 MiB, 1 GiB}. Default none. */
        public Builder serviceLevelObjectives(long... bytes) {
            double[] d = new double[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] <= 0) {
                    throw new IllegalArgumentException("serviceLevelObjectives must be positive byte counts, was "
                            + bytes[i]);
                }
                d[i] = bytes[i];
            }
            this.slos = d;
            return this;
        }

        /**
         * Most distinct {@code uri} tag values of routes the application did not declare at start; later ones are
         * tagged {@link #OTHER_URIS}. The declared routes have a pool of this size of their own, so the
         * registry holds at most twice this many routes. Default 1000.
         *
         * @throws IllegalArgumentException naming {@code maxUris} when not positive
         */
        public Builder maxUris(int max) {
            if (max <= 0) {
                throw new IllegalArgumentException("maxUris must be positive, was " + max);
            }
            this.maxUris = max;
            return this;
        }

        /** The sink. */
        public MicrometerSink build() {
            return new MicrometerSink(this);
        }
    }
}
