package dev.allocline.quarkus.test;

import static dev.allocline.portable.ThreadCarry.Kind.later;
import static dev.allocline.portable.ThreadCarry.Kind.sync;

import dev.allocline.AllocLine;
import dev.allocline.line.CanonicalLine;
import dev.allocline.portable.ThreadCarry;
import io.quarkus.runtime.ExecutorRecorder;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

/**
 * {@link ThreadCarry} on Quarkus REST with only the extension: one worker thread, one event loop. Blocking
 * methods run on the worker, a {@code CompletionStage} method on the event loop; every body is counted (the
 * extension follows each run of the handler chain), and neither thread carries anything of a request between
 * runs (its logging context read through SLF4J, which allocline writes on Quarkus, and
 * {@code AllocLine.requestId()}).
 */
class ThreadCarryQuarkusTest {

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            // The whole harness in the application: its resource shares package-private state with it.
            .withApplicationRoot(jar -> jar.addClasses(CapturedLines.class, CapturedLines.Captured.class,
                    ThreadCarry.class, ThreadCarry.Api.class, ThreadCarry.Kind.class, ThreadCarry.Sent.class,
                    ThreadCarry.Container.class))
            .overrideConfigKey("quarkus.http.root-path", "/api")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id")
            .overrideConfigKey("quarkus.thread-pool.core-threads", "1")
            .overrideConfigKey("quarkus.thread-pool.max-threads", "1")
            .overrideConfigKey("quarkus.vertx.event-loops-pool-size", "1")
            .overrideConfigKey("quarkus.http.test-port", "0");

    static final CapturedLines LINES = CapturedLines.attach();

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Test
    void theExtensionChargesNoLineAnotherRequestsOrThePoolsWorkAndLeavesNothingOnItsThreads() throws Exception {
        String b = base.toString();
        String root = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        Executor worker = ExecutorRecorder.getCurrent();
        Executor eventLoop = task -> vertx.runOnContext(v -> task.run());
        ThreadCarry.run("quarkus", new ThreadCarry.Container() {
            @Override
            public String base() {
                return root;
            }

            @Override
            public List<Executor> threads() {
                return List.of(worker, eventLoop);
            }

            @Override
            public String[] carried() {
                return new String[] {MDC.get("request_id"), AllocLine.requestId().orElse(null)};
            }

            @Override
            public CanonicalLine awaitLine(String id) throws InterruptedException {
                CanonicalLine line = LINES.await(l -> l.requestId().equals(id)).line();
                int lines = LINES.all(l -> l.requestId().equals(id)).size();
                if (lines != 1) {
                    throw new AssertionError(lines + " lines for " + id);
                }
                return line;
            }

            @Override
            public void close() {
            }
        }, List.of(sync("sync", 200, true), sync("fail", 500, true), sync("wrapped", 200, true),
                later("stage", 200).countingBody(), later("suspend", 200).countingBody(),
                later("never", 503).countingBody()));
    }
}
