package dev.allocline.internal.log;

import java.util.Map;

/**
 * Finds the logging API that reaches an appender on this class path, once per JVM.
 *
 * <p>Why not simply Log4j2's API: on a Logback service (Dropwizard, Jetty with logback-classic)
 * log4j-api may be present without a provider, and every event is silently dropped after one
 * start-up line ({@code Log4j API could not find a logging provider}); with Spring Boot's
 * {@code log4j-to-slf4j} bridge the events arrive, but a {@code MapMessage}'s fields are flattened into
 * one string. So: Log4j2 when it has a real provider; SLF4J 2 when Log4j2 is absent, has no provider
 * or is bridged to SLF4J; otherwise nothing, and the caller fails at build time rather than drop lines.
 * Not API: may change without notice.
 */
public final class Logging {

    private static final String NO_PROVIDER = "no provider declared";

    private static volatile Detected detected;

    private record Detected(LogBackend backend, String why) {
    }

    private Logging() {
    }

    /** The backend lines should go to, or null when neither Log4j2 nor SLF4J 2 reaches an appender. */
    public static LogBackend backend() {
        return detect().backend();
    }

    /** What was found on the class path, for the message when nothing usable was. */
    public static String diagnosis() {
        return detect().why();
    }

    /** A backend that never fails: the detected one, else a last resort on {@code System.err}. */
    public static LogBackend failures() {
        LogBackend b = backend();
        return b != null ? b : StdErrBackend.INSTANCE;
    }

    /**
     * Whether the request id goes to Log4j2's {@code ThreadContext}: when lines go to Log4j2. (An SLF4J
     * bound to Log4j2 reads the same context; an SLF4J with a provider of its own beside Log4j2 is not
     * probed, since probing SLF4J without a provider prints a warning at start-up.)
     */
    public static boolean log4jContextUsable() {
        LogBackend b = backend();
        return b != null && b.name().equals("log4j2");
    }

    /** Whether the request id goes to SLF4J's {@code MDC}: when lines go to SLF4J (Log4j2's bridge copies it). */
    public static boolean slf4jContextUsable() {
        LogBackend b = backend();
        return b != null && b.name().equals("slf4j");
    }

    private static Detected detect() {
        Detected d = detected;
        if (d == null) {
            synchronized (Logging.class) {
                d = detected;
                if (d == null) {
                    d = probe();
                    detected = d;
                }
            }
        }
        return d;
    }

    private static Detected probe() {
        String log4j = log4jFactory();
        if (log4j != null && !log4j.equals(NO_PROVIDER) && !log4j.equals("org.apache.logging.slf4j.SLF4JLoggerContextFactory")
                && !log4j.equals("org.apache.logging.log4j.simple.SimpleLoggerContextFactory")) {
            return new Detected(new Log4j2Backend(), "log4j2 provider " + log4j);
        }
        // Probed only now: SLF4J without a provider prints a warning on first use.
        if (slf4jReachesAnAppender()) {
            return new Detected(new Slf4jBackend(), "slf4j 2 provider, log4j2 " + (log4j == null ? "absent" : log4j));
        }
        return new Detected(null, "log4j2: " + (log4j == null ? "absent" : "no provider (" + log4j + ")")
                + "; slf4j 2: " + (present("org.slf4j.spi.LoggingEventBuilder") ? "no provider" : "absent"));
    }

    private static String log4jFactory() {
        if (!present("org.apache.logging.log4j.LogManager")) {
            return null;
        }
        if (!log4jProviderDeclared()) {
            // Asking LogManager here would print "Log4j API could not find a logging provider" as an
            // ERROR on every Logback service's start-up; a provider is found the same way LogManager
            // finds it, by its service file, so look for that without initialising Log4j.
            return NO_PROVIDER;
        }
        try {
            return org.apache.logging.log4j.LogManager.getFactory().getClass().getName();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * Whether a Log4j API provider is declared: a service file for {@code org.apache.logging.log4j.spi.Provider}
     * (2.x), the legacy {@code META-INF/log4j-provider.properties}, or a system property naming one.
     */
    private static boolean log4jProviderDeclared() {
        if (System.getProperty("log4j.provider") != null || System.getProperty("log4j2.provider") != null
                || System.getProperty("log4j2.loggerContextFactory") != null) {
            return true;
        }
        for (ClassLoader loader : new ClassLoader[] {Logging.class.getClassLoader(),
                Thread.currentThread().getContextClassLoader()}) {
            if (loader != null && (loader.getResource("META-INF/services/org.apache.logging.log4j.spi.Provider") != null
                    || loader.getResource("META-INF/log4j-provider.properties") != null)) {
                return true;
            }
        }
        return false;
    }

    private static boolean slf4jReachesAnAppender() {
        if (!present("org.slf4j.spi.LoggingEventBuilder")) {
            return false; // SLF4J 1.x has no key-value API
        }
        try {
            String factory = org.slf4j.LoggerFactory.getILoggerFactory().getClass().getName();
            return !factory.equals("org.slf4j.helpers.NOPLoggerFactory")
                    && !factory.equals("org.slf4j.helpers.SubstituteLoggerFactory");
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static boolean present(String className) {
        try {
            Class.forName(className, false, Logging.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Used only when no logging API works, so that a failure inside the library is never silent. */
    private static final class StdErrBackend implements LogBackend {
        static final StdErrBackend INSTANCE = new StdErrBackend();

        @Override
        public void warn(String logger, String message, Throwable error) {
            System.err.println("WARN " + logger + " " + message + (error == null ? "" : " " + error));
        }

        @Override
        public void line(String logger, String prefix, Map<String, ?> fields) {
            System.err.println(dev.allocline.internal.line.LineFormat.logfmt(prefix, fields));
        }

        @Override
        public String name() {
            return "stderr";
        }
    }
}
