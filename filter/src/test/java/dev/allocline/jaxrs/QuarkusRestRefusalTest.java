package dev.allocline.jaxrs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.core.Configuration;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.ext.RuntimeDelegate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On Quarkus REST the standard filters cannot follow a request's threads (blocking methods run on
 * worker threads the filters never see; suspended requests share the event loop), so the portable
 * filter would write wrong numbers. Registered there, it must refuse, loudly, and register nothing.
 * This execution has Quarkus REST's own {@code RuntimeDelegate} (resteasy-reactive-common 3.33.2) on
 * its class path, found by Jakarta REST's usual service lookup.
 */
@Tag("quarkus-rest")
class QuarkusRestRefusalTest {

    @Test
    void theFilterRefusesToStartOnQuarkusRestAndSaysWhy() {
        assertTrue(RuntimeDelegate.getInstance().getClass().getName().startsWith("org.jboss.resteasy.reactive."),
                "this execution runs with Quarkus REST's RuntimeDelegate: " + RuntimeDelegate.getInstance());
        List<String> warnings = new CopyOnWriteArrayList<>();
        AbstractAppender capture = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                warnings.add(event.getMessage().getFormattedMessage());
            }
        };
        capture.start();
        Logger logger = (Logger) LogManager.getLogger("dev.allocline");
        logger.addAppender(capture);
        List<Object> registered = new CopyOnWriteArrayList<>();
        try (AllocLineFilter filter = AllocLineFilter.builder().build()) {
            boolean enabled = filter.configure(recording(registered));
            assertFalse(enabled, "the feature must not report itself enabled");
            assertEquals(List.of(), registered, "no filter may be registered");
        } finally {
            logger.removeAppender(capture);
        }
        assertTrue(warnings.stream().anyMatch(w -> w.contains("NOT enabled") && w.contains("Quarkus REST")
                && w.contains("dev.allocline:allocline-quarkus") && w.contains("quarkus-resteasy")),
                () -> "a warning naming the runtime and the way out: " + warnings);
    }

    /** A feature context that records what is registered (the refusal happens before any registration). */
    private static FeatureContext recording(List<Object> registered) {
        return (FeatureContext) java.lang.reflect.Proxy.newProxyInstance(FeatureContext.class.getClassLoader(),
                new Class<?>[] {FeatureContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("register")) {
                        registered.add(args[0]);
                        return proxy;
                    }
                    if (method.getName().equals("getConfiguration")) {
                        return null;
                    }
                    if (method.getReturnType() == boolean.class) {
                        return false;
                    }
                    if (method.getReturnType() == Map.class || method.getReturnType() == Configuration.class) {
                        return null;
                    }
                    return method.getName().equals("toString") ? "recording context" : null;
                });
    }
}
