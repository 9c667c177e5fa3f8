package dev.allocline.example;

import dev.allocline.profile.ProfileKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The example's settings. Each is read from a system property ({@code -Dallocline.port=9090}), else
 * from the environment ({@code ALLOCLINE_PORT=9090}), else its embedded default, so the service runs
 * on a fresh clone with no setup. A bad value fails at start-up with a message naming the setting.
 *
 * @param host                  address to bind ({@code ALLOCLINE_HOST}, default 127.0.0.1)
 * @param port                  port; 0 picks a free one ({@code ALLOCLINE_PORT}, default 8080)
 * @param jdbcUrl               database ({@code ALLOCLINE_JDBC_URL}, default an in-memory H2)
 * @param jdbcUser              database user ({@code ALLOCLINE_JDBC_USER}, default sa)
 * @param jdbcPassword          database password ({@code ALLOCLINE_JDBC_PASSWORD}, default empty)
 * @param seedRows              rows seeded into {@code events} when the table is missing ({@code ALLOCLINE_SEED_ROWS}, default 300000)
 * @param maxRows               server-wide row cap for {@code POST /queries}; 0 is unbounded, the incident ({@code ALLOCLINE_MAX_ROWS})
 * @param profileThresholdBytes profile a request allocating this much; 0 disables ({@code ALLOCLINE_PROFILE_THRESHOLD_BYTES}, default 256 MiB)
 * @param environment           profile key prefix ({@code ALLOCLINE_ENVIRONMENT}, default example)
 * @param profileKind           jfr or heap_dump ({@code ALLOCLINE_PROFILE_KIND}, default jfr)
 * @param profileCooldown       least time between profiles ({@code ALLOCLINE_PROFILE_COOLDOWN_SECONDS}, default 60)
 * @param profileDir            where profiles go without a bucket ({@code ALLOCLINE_PROFILE_DIR}, default ./profiles)
 * @param s3Bucket              S3 bucket for profiles; unset keeps them local ({@code ALLOCLINE_S3_BUCKET})
 * @param s3Region              its region ({@code ALLOCLINE_S3_REGION}, default us-east-1)
 * @param s3Endpoint            an S3-compatible endpoint, e.g. http://127.0.0.1:9000 ({@code ALLOCLINE_S3_ENDPOINT})
 * @param logFormat             text (logfmt on the console) or json ({@code ALLOCLINE_LOG_FORMAT}, default text)
 * @param shutdownGrace         how long SIGTERM waits for in-flight requests and a pending upload ({@code ALLOCLINE_SHUTDOWN_SECONDS}, default 30)
 */
public record ExampleConfig(String host, int port, String jdbcUrl, String jdbcUser, String jdbcPassword, int seedRows,
                            int maxRows, long profileThresholdBytes, String environment, ProfileKind profileKind,
                            Duration profileCooldown, Path profileDir, Optional<String> s3Bucket, String s3Region,
                            Optional<String> s3Endpoint, String logFormat, Duration shutdownGrace) {

    /** Settings from this JVM's system properties and environment. */
    public static ExampleConfig load() {
        return from(System.getProperties(), System.getenv());
    }

    /**
     * Settings from the given sources.
     *
     * @throws IllegalArgumentException naming every bad setting
     */
    public static ExampleConfig from(Properties props, Map<String, String> env) {
        Reader r = new Reader(props, env);
        ExampleConfig c = new ExampleConfig(
                r.string("host", "127.0.0.1"),
                r.integer("port", 8080, 0, 65535),
                r.string("jdbc.url", "jdbc:h2:mem:allocline;DB_CLOSE_DELAY=-1"),
                r.string("jdbc.user", "sa"),
                r.string("jdbc.password", ""),
                r.integer("seed.rows", 300_000, 0, 50_000_000),
                r.integer("max.rows", 0, 0, Integer.MAX_VALUE),
                r.longValue("profile.threshold.bytes", 256L << 20, 0, Long.MAX_VALUE),
                r.string("environment", "example"),
                r.kind("profile.kind"),
                Duration.ofSeconds(r.integer("profile.cooldown.seconds", 60, 0, 86_400)),
                Path.of(r.string("profile.dir", "profiles")),
                r.optional("s3.bucket"),
                r.string("s3.region", "us-east-1"),
                r.optional("s3.endpoint"),
                r.choice("log.format", "text", "text", "json"),
                Duration.ofSeconds(r.integer("shutdown.seconds", 30, 0, 3600)));
        if (!r.problems.isEmpty()) {
            throw new IllegalArgumentException("invalid configuration: " + String.join("; ", r.problems));
        }
        return c;
    }

    /** The same settings on another port (tests and the demo use 0, a free port). */
    public ExampleConfig withPort(int newPort) {
        return new ExampleConfig(host, newPort, jdbcUrl, jdbcUser, jdbcPassword, seedRows, maxRows, profileThresholdBytes,
                environment, profileKind, profileCooldown, profileDir, s3Bucket, s3Region, s3Endpoint, logFormat,
                shutdownGrace);
    }

    /** Reads one setting from a property, else the environment, and collects what is wrong. */
    private static final class Reader {
        final Properties props;
        final Map<String, String> env;
        final List<String> problems = new ArrayList<>();

        Reader(Properties props, Map<String, String> env) {
            this.props = props;
            this.env = env;
        }

        static String envName(String name) {
            return "ALLOCLINE_" + name.toUpperCase(Locale.ROOT).replace('.', '_');
        }

        Optional<String> optional(String name) {
            String v = props.getProperty("allocline." + name);
            if (v == null) {
                v = env.get(envName(name));
            }
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        String string(String name, String def) {
            return optional(name).orElse(def);
        }

        int integer(String name, int def, int min, int max) {
            return (int) longValue(name, def, min, max);
        }

        long longValue(String name, long def, long min, long max) {
            Optional<String> v = optional(name);
            if (v.isEmpty()) {
                return def;
            }
            try {
                long n = Long.parseLong(v.get().replace("_", ""));
                if (n < min || n > max) {
                    problems.add(envName(name) + " (allocline." + name + ") must be between " + min + " and " + max
                            + ", was " + n);
                    return def;
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add(envName(name) + " (allocline." + name + ") must be a whole number, was '" + v.get() + "'");
                return def;
            }
        }

        String choice(String name, String def, String... allowed) {
            String v = string(name, def).toLowerCase(Locale.ROOT);
            for (String a : allowed) {
                if (a.equals(v)) {
                    return v;
                }
            }
            problems.add(envName(name) + " (allocline." + name + ") must be one of " + String.join(", ", allowed)
                    + ", was '" + v + "'");
            return def;
        }

        ProfileKind kind(String name) {
            String v = choice(name, "jfr", "jfr", "heap_dump");
            return v.equals("heap_dump") ? ProfileKind.HEAP_DUMP : ProfileKind.JFR;
        }
    }
}
