package dev.allocline.benchmarks;

import dev.allocline.jersey.AllocLineFeature;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.AppenderComponentBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.glassfish.jersey.internal.MapPropertiesDelegate;
import org.glassfish.jersey.server.ApplicationHandler;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.ContainerResponse;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.monitoring.ApplicationEvent;
import org.glassfish.jersey.server.monitoring.ApplicationEventListener;
import org.glassfish.jersey.server.monitoring.RequestEvent;
import org.glassfish.jersey.server.monitoring.RequestEventListener;

/**
 * One Jersey application handled in-process ({@code ApplicationHandler}, no network), with or
 * without the Feature, and Log4j2 configured for the variant being measured.
 */
final class InProcessApp {

    /** The variants the filter benchmarks compare. */
    enum Variant {
        /** No Feature: Jersey alone. */
        baseline,
        /**
         * No Feature, but an empty Jersey event listener: what Jersey itself spends building and
         * dispatching request events once any listener is registered. Part of the Feature's cost that
         * the Feature cannot avoid while it follows requests through Jersey's events.
         */
        jersey_events_only,
        /** The Feature with no sink at all: the accounting itself, with its default settings. */
        accounting_only,
        /** As {@code accounting_only} without the request id in the logging context: what that costs. */
        accounting_no_context,
        /** The Feature logging through Log4j2 into a Null appender: formatting and dispatch, no I/O. */
        log4j_noop,
        /** As {@code log4j_noop} without the request id in the logging context. */
        log4j_no_context,
        /** The Feature logging through Log4j2 into a real file. */
        log4j_file,
        /** The Feature with only the Micrometer sink (a SimpleMeterRegistry): the metrics' own cost. */
        micrometer_sink,
        /** A peer, instead of allocline: Micrometer's Jersey instrumentation, a timer per request. */
        peer_jersey_micrometer,
        /**
         * A peer, instead of allocline: Jersey's LoggingFeature at its default verbosity (headers and text
         * payloads up to 8 KiB), into a JUL logger whose handler discards, as the Null appender does.
         */
        peer_logging_feature,
        /**
         * A peer, instead of allocline: the access log a service writes without it, one Log4j2 line per request
         * (method, path, status, duration) from a request/response filter pair, into the Null appender as
         * {@code log4j_noop}'s line. allocline's line replaces this one, so this is the fair comparison.
         */
        peer_access_log,
        /** {@code peer_access_log} into the same buffered file, appender and pattern as {@code log4j_file}. */
        peer_access_log_file,
        /**
         * The realistic peer (#39): what allocline replaces in a production service is an access log <em>and</em> a
         * request-id filter that puts the id into the logging context for the request's other lines. A
         * {@code @PreMatching} filter takes a 32-hex-digit id (made as allocline makes its own), puts it into Log4j2's
         * {@code ThreadContext} under {@code request_id} and removes it when the response is filtered, right after
         * the access line ({@code peer_access_log_file}'s) is written to the same file, appender and pattern, whose
         * {@code %X{request_id}} prints the id.
         */
        peer_access_log_id_file,
        /**
         * A hand-written access line as wide as allocline's (the same keys; a 32-hex-digit id, the method, the path
         * as path and as route, the status, the duration and four numbers as parameters of one Log4j2
         * parameterized message, no escaping),
         * into the same file as {@code log4j_file}: what Log4j2 itself spends on a line of that content, so that
         * beside {@code log4j_file} it shows what allocline's own formatting adds.
         */
        peer_wide_access_log_file,
        /**
         * allocline's portable entry point on Jersey: the standard filter pair ({@code AllocLineFilter}) instead
         * of the Feature, same line into the Null appender as {@code log4j_noop}. Jersey builds no request
         * events for it, so beside {@code log4j_noop} it shows what following Jersey's events costs.
         */
        filter_log4j_noop,
        /** {@code filter_log4j_noop} into the same buffered file, appender and pattern as {@code log4j_file}. */
        filter_log4j_file
    }

    private static final URI BASE = URI.create("http://localhost/");

    private final ApplicationHandler handler;
    private final URI uri;

    InProcessApp(Variant variant, String path, Object... components) throws Exception {
        this.handler = new ApplicationHandler(config(variant, components));
        this.uri = URI.create("http://localhost" + path);
    }

    /** The application of {@code variant}: Log4j2 configured for it, the Feature or a peer registered. */
    static ResourceConfig config(Variant variant, Object... components) throws Exception {
        configureLog4j(variant);
        ResourceConfig rc = new ResourceConfig();
        for (Object c : components) {
            if (c instanceof Class) {
                rc.register((Class<?>) c);
            } else {
                rc.register(c);
            }
        }
        if (variant == Variant.jersey_events_only) {
            rc.register(new EmptyListener());
        } else if (variant == Variant.micrometer_sink) {
            rc.register(AllocLineFeature.builder().defaultSink(false)
                    .sink(new dev.allocline.micrometer.MicrometerSink(new io.micrometer.core.instrument.simple
                            .SimpleMeterRegistry())).build());
        } else if (variant == Variant.peer_jersey_micrometer) {
            rc.register(new org.glassfish.jersey.micrometer.server.MetricsApplicationEventListener(
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                    new org.glassfish.jersey.micrometer.server.DefaultJerseyTagsProvider(), "http.server.requests", true));
        } else if (variant == Variant.peer_logging_feature) {
            java.util.logging.Logger jul = java.util.logging.Logger.getLogger("allocline.bench.logging-feature");
            jul.setUseParentHandlers(false);
            jul.setLevel(java.util.logging.Level.ALL);
            jul.addHandler(new java.util.logging.Handler() {
                @Override
                public void publish(java.util.logging.LogRecord record) {
                    // discarded, like the Null appender
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            });
            rc.register(new org.glassfish.jersey.logging.LoggingFeature(jul, java.util.logging.Level.INFO,
                    org.glassfish.jersey.logging.LoggingFeature.Verbosity.PAYLOAD_TEXT, 8192));
        } else if (variant == Variant.peer_access_log || variant == Variant.peer_access_log_file) {
            rc.register(new AccessLog(false));
        } else if (variant == Variant.peer_access_log_id_file) {
            rc.register(new RequestIdFilter());
            rc.register(new AccessLog(false));
        } else if (variant == Variant.peer_wide_access_log_file) {
            rc.register(new AccessLog(true));
        } else if (variant == Variant.filter_log4j_noop || variant == Variant.filter_log4j_file) {
            rc.register(dev.allocline.jaxrs.AllocLineFilter.builder().build());
        } else if (variant == Variant.accounting_no_context) {
            rc.register(AllocLineFeature.builder().defaultSink(false).loggingContextKey(null).build());
        } else if (variant == Variant.log4j_no_context) {
            rc.register(AllocLineFeature.builder().loggingContextKey(null).build());
        } else if (variant != Variant.baseline) {
            rc.register(AllocLineFeature.builder().defaultSink(variant != Variant.accounting_only).build());
        }
        return rc;
    }

    /** One request, start to written response. */
    ContainerResponse get() throws InterruptedException, ExecutionException {
        ContainerRequest request = new ContainerRequest(BASE, uri, "GET", null, new MapPropertiesDelegate(),
                handler.getConfiguration());
        return handler.apply(request).get();
    }

    void close() {
        handler.onShutdown(null);
    }

    /**
     * The plain access log a service would write instead of allocline's line, written the ordinary way: the
     * start time in a request property, one parameterized Log4j2 message after the response filters. Wide, it
     * writes allocline's keys instead (a 32-hex-digit id, the method, the path as path and as route, the status,
     * the duration and four numbers): the same width of text through Log4j2's own formatter instead of
     * allocline's logfmt encoder and escaper.
     */
    @jakarta.annotation.Priority(jakarta.ws.rs.Priorities.USER)
    static final class AccessLog implements jakarta.ws.rs.container.ContainerRequestFilter,
            jakarta.ws.rs.container.ContainerResponseFilter {
        private static final org.apache.logging.log4j.Logger LOG = org.apache.logging.log4j.LogManager.getLogger("access");
        private static final String START = "access.start";
        private final boolean wide;

        AccessLog(boolean wide) {
            this.wide = wide;
        }

        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext request) {
            request.setProperty(START, System.nanoTime());
        }

        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext request,
                jakarta.ws.rs.container.ContainerResponseContext response) {
            Object start = request.getProperty(START);
            long micros = start instanceof Long ? (System.nanoTime() - (Long) start) / 1000 : -1;
            String path = request.getUriInfo().getRequestUri().getRawPath();
            if (!wide) {
                LOG.info("{} {} {} {}us", request.getMethod(), path, response.getStatus(), micros);
                return;
            }
            java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
            String id = Long.toHexString(r.nextLong() | Long.MIN_VALUE) + Long.toHexString(r.nextLong() | Long.MIN_VALUE);
            LOG.info("canonical_api_line request_id={} http_method={} http_path={} http_route={} status={} "
                    + "response_written={} duration={}us alloc_bytes={} alloc_threads={} total_alloc_delta={} "
                    + "alloc_reads={}", id, request.getMethod(), path, path, response.getStatus(), true, micros,
                    micros * 317, 1, micros * 331, 3);
        }
    }

    /**
     * The request-id filter a service runs beside its access log: an id per request into the logging context, out
     * of it once the response is filtered. Its priority is below the access log's ({@code USER}): request filters
     * run in ascending priority and response filters in descending, so it is the outer one both ways and the access
     * line is written while the id is in the context.
     */
    @jakarta.ws.rs.container.PreMatching
    @jakarta.annotation.Priority(jakarta.ws.rs.Priorities.USER - 100)
    static final class RequestIdFilter implements jakarta.ws.rs.container.ContainerRequestFilter,
            jakarta.ws.rs.container.ContainerResponseFilter {
        private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext request) {
            java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
            long a = r.nextLong();
            long b = r.nextLong();
            byte[] digits = new byte[32];
            for (int i = 0; i < 16; i++) {
                int shift = 60 - 4 * i;
                digits[i] = HEX[(int) (a >>> shift) & 0xf];
                digits[16 + i] = HEX[(int) (b >>> shift) & 0xf];
            }
            org.apache.logging.log4j.ThreadContext.put("request_id",
                    new String(digits, java.nio.charset.StandardCharsets.ISO_8859_1));
        }

        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext request,
                jakarta.ws.rs.container.ContainerResponseContext response) {
            org.apache.logging.log4j.ThreadContext.remove("request_id");
        }
    }

    /** A listener that asks for every request's events and does nothing with them. */
    static final class EmptyListener implements ApplicationEventListener {
        private static final RequestEventListener NOTHING = event -> { };

        @Override
        public void onEvent(ApplicationEvent event) {
        }

        @Override
        public RequestEventListener onRequest(RequestEvent requestEvent) {
            return NOTHING;
        }
    }

    static void configureLog4j(Variant variant) throws Exception {
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setStatusLevel(Level.ERROR);
        b.add(b.newAppender("null", "Null"));
        String canonicalAppender = "null";
        if (variant.name().endsWith("_file")) {
            Path file = Files.createTempFile("allocline-bench-", ".log");
            file.toFile().deleteOnExit();
            // Buffered, flushed when the buffer fills: how a service logging every request configures a file
            // (Log4j2's own advice for throughput); flushing every line would measure the disk, not the line.
            AppenderComponentBuilder appender = b.newAppender("file", "File")
                    .addAttribute("fileName", file.toString())
                    .addAttribute("immediateFlush", false)
                    .addAttribute("bufferedIO", true)
                    .add(b.newLayout("PatternLayout").addAttribute("pattern", "%d %-5level %c{1} %X{request_id} %msg%n"));
            b.add(appender);
            canonicalAppender = "file";
        }
        b.add(b.newLogger("dev.allocline.canonical", Level.INFO).add(b.newAppenderRef(canonicalAppender))
                .addAttribute("additivity", false));
        // the access-log peer's line: same appender, same pattern
        b.add(b.newLogger("access", Level.INFO).add(b.newAppenderRef(canonicalAppender))
                .addAttribute("additivity", false));
        b.add(b.newRootLogger(Level.WARN).add(b.newAppenderRef("null")));
        Configurator.reconfigure(b.build());
    }
}
