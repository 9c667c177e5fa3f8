package dev.allocline.test;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.profile.ProfileListener;
import dev.allocline.profile.ProfileReport;
import jakarta.annotation.Priority;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Feature;
import jakarta.ws.rs.core.FeatureContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
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
 * application started. Thread-safe: lines arrive on request threads, assertions run on the test's.
 */
public final class AllocationBudgets implements CanonicalLineSink, ProfileListener, BeforeEachCallback, AfterEachCallback {

    private final List<CanonicalLine> lines = new CopyOnWriteArrayList<>();
    private final Map<String, ProfileReport> profiles = new ConcurrentHashMap<>();
    private final Map<String, Long> declared = new LinkedHashMap<>();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private Consumer<AllocLineFeature.Builder> customizer = b -> { };

    /** Budgets with no route declared yet (add them with {@link AllocationBudget} or {@link #budget}). */
    public AllocationBudgets() {
    }

    /** Changes the Feature {@link #feature()} builds, e.g. to capture profiles whose sites a failure shows. */
    public AllocationBudgets configure(Consumer<AllocLineFeature.Builder> customizer) {
        this.customizer = customizer;
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
     * here), and a filter counting the requests it starts, so assertions can wait for all of them.
     */
    public Feature feature() {
        AllocLineFeature.Builder b = AllocLineFeature.builder().defaultSink(false).sink(this);
        customizer.accept(b);
        AllocLineFeature allocline = b.build();
        return context -> {
            context.register(allocline);
            context.register(new Started());
            return true;
        };
    }

    @PreMatching
    @Priority(Integer.MIN_VALUE)
    private final class Started implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext ctx) {
            started.incrementAndGet();
        }
    }

    @Override
    public void accept(CanonicalLine line) {
        lines.add(line);
        finished.incrementAndGet();
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            List<CanonicalLine> found = lines().stream().filter(l -> l.httpRoute().equals(route)).toList();
            if (!found.isEmpty()) {
                return found;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no request to route " + route + " in this test; routes seen: "
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

    private void awaitRequestsInFlight() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (finished.get() < started.get() && System.nanoTime() - deadline < 0) {
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

    /** Checks every declared budget against the requests of the test that just ran. */
    @Override
    public void afterEach(ExtensionContext context) {
        Map<String, Long> budgets = new LinkedHashMap<>();
        context.getTestClass().ifPresent(c -> {
            for (AllocationBudget b : c.getAnnotationsByType(AllocationBudget.class)) {
                budgets.put(b.route(), b.bytes());
            }
        });
        synchronized (declared) {
            budgets.putAll(declared);
        }
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
