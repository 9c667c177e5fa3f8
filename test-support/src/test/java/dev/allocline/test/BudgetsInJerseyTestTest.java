package dev.allocline.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.allocline.profile.LocalDirectoryProfileStore;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Application;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.test.JerseyTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * Budgets in a JerseyTest: one extension, one registration, and failures that say where the bytes went.
 * The first request in a JVM also pays class loading (measured ~3 MB here), hence the headroom.
 */
@AllocationBudget(route = "/mib/{n}", bytes = 16L << 20)
class BudgetsInJerseyTestTest extends JerseyTest {

    static volatile Object sink;

    @jakarta.ws.rs.Path("/mib/{n}")
    public static final class Allocating {
        @GET
        public String get(@PathParam("n") int n) {
            for (int i = 0; i < n; i++) {
                sink = new byte[1 << 20];
            }
            return "ok";
        }
    }

    @RegisterExtension
    static final AllocationBudgets BUDGETS = new AllocationBudgets();

    @Override
    protected Application configure() {
        return new ResourceConfig(Allocating.class).register(BUDGETS.feature());
    }

    @Test
    void aRequestWithinItsBudgetPasses() {
        assertEquals(200, target("/mib/1").request().get().getStatus());
        BUDGETS.assertAllocatedAtMost("/mib/{n}", 8L << 20);
        assertEquals(1, BUDGETS.lines().size());
    }

    @Test
    void anAssertedBudgetFailsSayingTheRouteTheBytesAndByHowMuch() {
        assertEquals(200, target("/mib/3").request().get().getStatus());
        AssertionError e = assertThrows(AssertionError.class, () -> BUDGETS.assertAllocatedAtMost("/mib/{n}", 1L << 20));
        System.out.println("budget failure:\n" + e.getMessage());
        assertTrue(e.getMessage().startsWith("allocation budget exceeded: GET /mib/{n} allocated "), e.getMessage());
        assertTrue(e.getMessage().contains("budget 1,048,576: over by "), e.getMessage());
        assertTrue(e.getMessage().contains("canonical_api_line "), e.getMessage());
    }

    /** Run through the test kit only: its declared budget must fail it. */
    @AllocationBudget(route = "/mib/{n}", bytes = 1L << 20)
    static final class DeclaredBudgetViolated extends JerseyTest {
        @RegisterExtension
        static final AllocationBudgets BUDGETS = new AllocationBudgets();

        @Override
        protected Application configure() {
            return new ResourceConfig(Allocating.class).register(BUDGETS.feature());
        }

        @Test
        void sendsAnOverrun() {
            assertEquals(200, target("/mib/3").request().get().getStatus());
        }
    }

    @Test
    void aDeclaredBudgetFailsTheTestThatExceededIt() {
        Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(DeclaredBudgetViolated.class))
                .execute().testEvents();
        assertEquals(1, events.failed().count(), events::toString);
        Throwable t = events.failed().stream().findFirst().orElseThrow().getPayload(
                org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
        assertTrue(t.getMessage().contains("allocation budget exceeded: GET /mib/{n}"), t.getMessage());
    }

    /** Run through the test kit only: a route skipped by the application's own settings gets no line. */
    static final class SkipsARoute extends JerseyTest {
        @RegisterExtension
        static final AllocationBudgets BUDGETS = new AllocationBudgets()
                .configure(b -> b.skip(line -> line.httpRoute().equals("/mib/{n}")));

        @Override
        protected Application configure() {
            return new ResourceConfig(Allocating.class).register(BUDGETS.feature());
        }

        @Test
        void first() {
            assertEquals(200, target("/mib/1").request().get().getStatus());
            assertEquals(List.of(), assertTimeout(Duration.ofSeconds(10), () -> BUDGETS.lines()));
        }

        @Test
        void second() {
            assertEquals(200, target("/mib/1").request().get().getStatus());
            assertEquals(List.of(), assertTimeout(Duration.ofSeconds(10), () -> BUDGETS.lines()));
        }
    }

    @Test
    void aSkippedRequestDoesNotHoldUpTheAssertionsThatFollow() {
        Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(SkipsARoute.class))
                .execute().testEvents();
        assertEquals(2, events.succeeded().count(), () -> failures(events));
    }

    static final CountDownLatch ENTERED = new CountDownLatch(1);
    static final CountDownLatch RELEASE = new CountDownLatch(1);

    @jakarta.ws.rs.Path("/held")
    public static final class Held {
        @GET
        public String get() throws InterruptedException {
            ENTERED.countDown();
            RELEASE.await(60, TimeUnit.SECONDS);
            return "released";
        }
    }

    /** Run through the test kit only: a request still running when the test reads the lines. */
    static final class RequestStillRunning extends JerseyTest {
        @RegisterExtension
        static final AllocationBudgets BUDGETS = new AllocationBudgets().timeout(Duration.ofSeconds(2));

        @Override
        protected Application configure() {
            return new ResourceConfig(Held.class).register(BUDGETS.feature());
        }

        @Test
        void readsTheLinesWhileARequestRuns() throws Exception {
            Future<jakarta.ws.rs.core.Response> response = target("/held").request().async().get();
            assertTrue(ENTERED.await(30, TimeUnit.SECONDS));
            try {
                BUDGETS.lines();
            } finally {
                RELEASE.countDown();
                assertEquals(200, response.get(30, TimeUnit.SECONDS).getStatus());
            }
        }
    }

    @Test
    void aWaitThatTimesOutFailsTheTestSayingWhy() {
        Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(RequestStillRunning.class))
                .execute().testEvents();
        assertEquals(1, events.failed().count(), () -> failures(events));
        Throwable t = thrown(events);
        assertTrue(t instanceof AssertionError && t.getMessage().contains("1 of 1 requests")
                && t.getMessage().contains("not finished"), t::toString);
    }

    @Test
    void theTimeoutMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AllocationBudgets().timeout(Duration.ZERO));
        assertTrue(e.getMessage().contains("timeout"), e.getMessage());
    }

    /** Run through the test kit only: the declared route lacks the prefix the application's routes have. */
    @AllocationBudget(route = "/api/mib/{n}", bytes = 1)
    static final class DeclaredRouteNeverMatched extends JerseyTest {
        @RegisterExtension
        static final AllocationBudgets BUDGETS = new AllocationBudgets();

        @Override
        protected Application configure() {
            return new ResourceConfig(Allocating.class).register(BUDGETS.feature());
        }

        @Test
        void sendsAnOverrunToAnotherRoute() {
            assertEquals(200, target("/mib/8").request().get().getStatus());
        }
    }

    @Test
    void aDeclaredRouteThatNoRequestMatchedFailsTheClassNamingTheRoutesSeen() {
        Events classes = EngineTestKit.engine("junit-jupiter").selectors(selectClass(DeclaredRouteNeverMatched.class))
                .execute().containerEvents();
        assertEquals(1, classes.failed().count(), () -> "the class must fail: " + failures(classes));
        Throwable t = thrown(classes);
        assertTrue(t.getMessage().contains("/api/mib/{n}") && t.getMessage().contains("routes seen: [/mib/{n}]"),
                t.getMessage());
    }

    private static Throwable thrown(Events events) {
        return events.failed().stream().findFirst().orElseThrow().getPayload(
                org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
    }

    private static String failures(Events events) {
        StringBuilder sb = new StringBuilder();
        events.failed().stream().forEach(e -> sb.append(e.getTestDescriptor().getDisplayName()).append(": ")
                .append(e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElse(null))
                .append('\n'));
        return sb.toString();
    }

    /** Run through the test kit only: profiles captured, so the failure shows the allocation sites. */
    static final class WithProfiles extends JerseyTest {
        @RegisterExtension
        static final AllocationBudgets BUDGETS = new AllocationBudgets().configure(b -> {
            try {
                Path dir = Files.createTempDirectory("allocline-budgets");
                b.profileThresholdBytes(2L << 20).profileStore(new LocalDirectoryProfileStore(dir))
                        .profileTempDirectory(dir.resolve("work")).applicationPackages("dev.allocline.test.");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });

        @Override
        protected Application configure() {
            return new ResourceConfig(Allocating.class).register(BUDGETS.feature());
        }

        @Test
        void overrun() {
            assertEquals(200, target("/mib/8").request().get().getStatus());
            BUDGETS.assertAllocatedAtMost("/mib/{n}", 1L << 20);
        }
    }

    @Test
    void aFailureShowsTheTopAllocationSitesWhenAProfileWasCaptured() {
        Events events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(WithProfiles.class))
                .execute().testEvents();
        Throwable t = events.failed().stream().findFirst().orElseThrow().getPayload(
                org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
        System.out.println("budget failure with sites:\n" + t.getMessage());
        assertTrue(t.getMessage().contains("top allocation sites"), t.getMessage());
        assertTrue(t.getMessage().contains("app_site_1=dev.allocline.test.BudgetsInJerseyTestTest$Allocating.get"),
                t.getMessage());
    }
}
