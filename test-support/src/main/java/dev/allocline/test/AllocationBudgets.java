package dev.allocline.test;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.profile.ProfileListener;
import dev.allocline.profile.ProfileReport;
import jakarta.ws.rs.core.Feature;
import jakarta.ws.rs.core.FeatureContext;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.glassfish.jersey.server.monitoring.ApplicationEvent;
import org.glassfish.jersey.server.monitoring.ApplicationEventListener;
import org.glassfish.jersey.server.monitoring.RequestEvent;
import org.glassfish.jersey.server.monitoring.RequestEventListener;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Allocation budgets for Jersey tests: catch the seed's incident (a whole table written as indented
 * JSON) in CI, before production. Register it as a JUnit extension and its {@link #feature()} in the
 * application under test; each test's requests are collected and checked against the budgets declared
 * with {@link AllocationBudget} on the class (after each test) or asserted in the test.
 *
 * <pre>{@code
 * @AllocationBudget(route = "/queries", bytes = 8 << 20)
 * class QueriesTest extends JerseyTest {
 *     @RegisterExtension
 *     static final AllocationBudgets BUDGETS = new AllocationBudgets();
 *
 *     @Override
 *     protected Application configure() {
 *         return new ResourceConfig(QueriesResource.class).register(BUDGETS.feature());
 *     }
 *
 *     @Test
 *     void aCappedQueryStaysSmall() {
 *         target("/queries").request().post(Entity.json("{\"sql\": \"SELECT * FROM events\", \"max_rows\": 500}"));
 *         BUDGETS.assertAllocatedAtMost("/queries", 4 << 20);
 *     }
 * }
 * }</pre>
 *
 * On a plain server, register {@link #feature()} in its {@code ResourceConfig}, or pass this object as a
 * sink of your own {@code AllocLineFeature} ({@link #accept} then sees the lines; waiting for requests in
 * flight needs {@link #feature()}). A failure names the route, the bytes, the budget and by how much it
 * was exceeded, shows the line, and, when a profile was captured for that request, its top allocation
 * sites. Lines arrive after each response was written: the assertions wait for every request the
 * application started (skipped lines included), and fail the test when one has not finished within
 * {@link #timeout(Duration)}. A declared route that no request of the class matched fails the class, naming
 * the routes that were seen: a budget that is never checked is a typo, not a pass. Thread-safe: lines
 * arrive on request threads, assertions run on the test's.
 */
public final class AllocationBudgets implements CanonicalLineSink, ProfileListener, BeforeEachCallback, AfterEachCallback,
        AfterAllCallback {

    private final List<CanonicalLine> lines = new CopyOnWriteArrayList<>();
    private final Map<String, ProfileReport> profiles = new ConcurrentHashMap<>();
    private final Map<String, Long> declared = new LinkedHashMap<>();
    /** Every route a line had since the class started, for the check that each declared route was seen. */
    private final Set<String> routesSeen = ConcurrentHashMap.newKeySet();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private Consumer<AllocLineFeature.Builder> customizer = b -> { };
    private volatile Duration timeout = Duration.ofSeconds(30);

    /** Budgets with no route declared yet (add them with {@link AllocationBudget} or {@link #budget}). */
    public AllocationBudgets() {
    }

    /** Changes the Feature {@link #feature()} builds, e.g. to capture profiles whose sites a failure shows. */
    public AllocationBudgets configure(Consumer<AllocLineFeature.Builder> customizer) {
        this.customizer = customizer;
        return this;
    }

    /**
     * How long an assertion waits for the requests in flight (and {@link #lines(String)} for a first line)
     * before it fails the test saying what it waited for. Default 30 s.
     *
     * @throws IllegalArgumentException when {@code timeout} is null, zero or negative
     */
    public AllocationBudgets timeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        this.timeout = timeout;
        return this;
    }

    /** Declares a budget for every test, as {@link AllocationBudget} does. */
    public AllocationBudgets budget(String route, long bytes) {
        synchronized (declared) {
            declared.put(route, bytes);
        }
        return this;
    }

    /**
     * What to register in the application under test: allocline's Feature sending lines here (and only
     * here), its request listener wrapped so that every request the application starts is counted, and
     * counted again once allocline is done with it, line or not, so assertions can wait for all of them.
     */
    public Feature feature() {
        AllocLineFeature.Builder b = AllocLineFeature.builder().defaultSink(false).sink(this);
        customizer.accept(b);
        AllocLineFeature allocline = b.build();
        return context -> allocline.configure(counting(context));
    }

    /**
     * The Feature's context, handing allocline's {@link ApplicationEventListener} to Jersey wrapped in one
     * that counts. Counting around allocline's own listener, not beside it: Jersey's order among listeners
     * is not the registration order, and a request whose line is skipped, or whose baseline failed, reaches
     * no sink, so only the end of allocline's own {@code FINISHED} handling says a request is done.
     */
    private FeatureContext counting(FeatureContext context) {
        return (FeatureContext) Proxy.newProxyInstance(FeatureContext.class.getClassLoader(),
                new Class<?>[] {FeatureContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("register") && args != null
                            && args[0] instanceof ApplicationEventListener) {
                        args = args.clone();
                        args[0] = new Counting((ApplicationEventListener) args[0]);
                    }
                    Object result;
                    try {
                        result = method.invoke(context, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    return result == context ? proxy : result;
                });
    }

    /** Counts each request when it starts and after allocline finished it, whatever allocline did with it. */
    private final class Counting implements ApplicationEventListener {
        private final ApplicationEventListener allocline;

        Counting(ApplicationEventListener allocline) {
            this.allocline = allocline;
        }

        @Override
        public void onEvent(ApplicationEvent event) {
            allocline.onEvent(event);
        }

        @Override
        public RequestEventListener onRequest(RequestEvent start) {
            started.incrementAndGet();
            RequestEventListener request;
            try {
                request = allocline.onRequest(start);
            } catch (RuntimeException | Error e) {
                finished.incrementAndGet(); // Jersey sends this request no more events
                throw e;
            }
            return event -> {
                try {
                    if (request != null) { // null: allocline could not take the baseline; the request runs on
                        request.onEvent(event);
                    }
                } finally {
                    if (event.getType() == RequestEvent.Type.FINISHED) {
                        finished.incrementAndGet();
                    }
                }
            };
        }
    }

    @Override
    public void accept(CanonicalLine line) {
        lines.add(line);
        routesSeen.add(line.httpRoute());
    }

    @Override
    public void onProfile(ProfileReport report) {
        if (report.profileKey() != null) {
            profiles.put(report.profileKey(), report);
        }
    }

    /** Every line so far in this test, after the requests in flight finished. */
    public List<CanonicalLine> lines() {
        awaitRequestsInFlight();
        return List.copyOf(lines);
    }

    /** The lines of {@code route} so far in this test, waiting for at least one. */
    public List<CanonicalLine> lines(String route) {
        Duration wait = timeout;
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            List<CanonicalLine> found = lines().stream().filter(l -> l.httpRoute().equals(route)).toList();
            if (!found.isEmpty()) {
                return found;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no request to route " + route + " in this test within " + wait + "; routes seen: "
                        + lines.stream().map(CanonicalLine::httpRoute).distinct().toList());
            }
            pause();
        }
    }

    /** Fails unless every request to {@code route} in this test allocated at most {@code bytes}. */
    public void assertAllocatedAtMost(String route, long bytes) {
        for (CanonicalLine l : lines(route)) {
            assertAllocatedAtMost(l, bytes);
        }
    }

    /** Fails unless {@code line}'s request allocated at most {@code bytes}. */
    public void assertAllocatedAtMost(CanonicalLine line, long bytes) {
        if (line.allocatedBytes() < 0) {
            throw new AssertionError("the JVM could not count " + describe(line) + " ("
                    + line.allocUnavailableReason().orElse("unavailable") + "), so its budget cannot be checked: "
                    + CanonicalLineFormat.logfmt(line));
        }
        if (line.allocatedBytes() > bytes) {
            throw new AssertionError(failure(line, bytes));
        }
    }

    private static String describe(CanonicalLine line) {
        return line.httpMethod() + " " + (line.httpRoute().isEmpty() ? line.httpPath() : line.httpRoute());
    }

    private String failure(CanonicalLine line, long budget) {
        long over = line.allocatedBytes() - budget;
        StringBuilder m = new StringBuilder(512).append(String.format(Locale.ROOT,
                "allocation budget exceeded: %s allocated %,d bytes, budget %,d: over by %,d (%.1fx)%n  line: %s",
                describe(line), line.allocatedBytes(), budget, over, (double) line.allocatedBytes() / budget,
                CanonicalLineFormat.logfmt(line)));
        if (line.profileKey().isPresent()) {
            ProfileReport p = awaitProfile(line.profileKey().get());
            if (p == null) {
                m.append("\n  profile ").append(line.profileKey().get()).append(": not reported within 60 s");
            } else {
                m.append("\n  top allocation sites (profile ").append(p.profileKey()).append(", ")
                        .append(p.result().tag()).append("):");
                p.fields().forEach((k, v) -> {
                    if (k.matches("(app_)?site_\\d+(_bytes|_share)?")) {
                        m.append("\n    ").append(k).append('=').append(v);
                    }
                });
            }
        } else {
            m.append("\n  (no profile: set a profile threshold with configure(...) to see the allocation sites)");
        }
        return m.toString();
    }

    private ProfileReport awaitProfile(String key) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!profiles.containsKey(key) && System.nanoTime() - deadline < 0) {
            pause();
        }
        return profiles.get(key);
    }

    /** Waits for every request the application started to finish; fails the test once the timeout passed. */
    private void awaitRequestsInFlight() {
        Duration wait = timeout;
        long deadline = System.nanoTime() + wait.toNanos();
        while (finished.get() < started.get()) {
            if (System.nanoTime() - deadline > 0) {
                long s = started.get();
                long f = finished.get();
                if (f >= s) {
                    return;
                }
                // Carrying on would check budgets against lines that are not all there: a silent pass.
                throw new AssertionError((s - f) + " of " + s + " requests the application started have not finished "
                        + "after " + wait + " (a request still running, or one whose response is never written); "
                        + "their lines cannot be checked. A slow machine may need AllocationBudgets.timeout(...)");
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        awaitRequestsInFlight(); // a request of the previous test still writing
        lines.clear();
    }

    /** The budgets in force for the class: its {@link AllocationBudget}s, then those set with {@link #budget}. */
    private Map<String, Long> budgets(ExtensionContext context) {
        Map<String, Long> budgets = new LinkedHashMap<>();
        context.getTestClass().ifPresent(c -> {
            for (AllocationBudget b : c.getAnnotationsByType(AllocationBudget.class)) {
                budgets.put(b.route(), b.bytes());
            }
        });
        synchronized (declared) {
            budgets.putAll(declared);
        }
        return budgets;
    }

    /**
     * Fails the class when a declared route matched no request in any of its tests: a typo, or a route
     * declared without the application's path, would otherwise turn its budget off without a word.
     */
    @Override
    public void afterAll(ExtensionContext context) {
        awaitRequestsInFlight();
        List<String> unseen = budgets(context).keySet().stream().filter(r -> !routesSeen.contains(r)).toList();
        if (!unseen.isEmpty()) {
            throw new AssertionError("allocation budget for " + String.join(", ", unseen) + " never checked: no request "
                    + "of " + context.getDisplayName() + " had that http_route (a typo, or the application path "
                    + "missing?); routes seen: " + routesSeen.stream().sorted().toList());
        }
    }

    /** Checks every declared budget against the requests of the test that just ran. */
    @Override
    public void afterEach(ExtensionContext context) {
        Map<String, Long> budgets = budgets(context);
        List<String> failures = new ArrayList<>();
        for (CanonicalLine l : lines()) {
            Long budget = budgets.get(l.httpRoute());
            if (budget != null) {
                try {
                    assertAllocatedAtMost(l, budget);
                } catch (AssertionError e) {
                    failures.add(e.getMessage());
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(String.join("\n", failures));
        }
    }
}
