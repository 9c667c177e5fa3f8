package dev.allocline.quarkus.runtime;

import dev.allocline.AllocLineBuilder;
import dev.allocline.internal.AllocLineSettings;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.ProfileStore;
import java.util.List;
import java.util.Map;

/**
 * Turns {@link AllocLineConfig} into validated settings. The core's builder validates every setting and
 * names it the way its Java API spells it; here each name is replaced by its property, so a bad
 * {@code application.properties} stops the start with a message a Quarkus user can act on.
 */
final class QuarkusSettings extends AllocLineBuilder<QuarkusSettings, AllocLineSettings> {

    static final String PREFIX = "quarkus.allocline.";

    /** Java setting names (as the core's messages spell them) to properties, longest first. */
    private static final List<Map.Entry<String, String>> PROPERTY_NAMES = List.of(
            Map.entry("profileThresholdBytes", PREFIX + "profile.threshold"),
            Map.entry("profileTempDirectory", PREFIX + "profile.temp-directory"),
            Map.entry("profileCooldown", PREFIX + "profile.cooldown"),
            Map.entry("profileStore", PREFIX + "profile.directory or " + PREFIX + "profile.s3-bucket"),
            Map.entry("profileKind", PREFIX + "profile.kind"),
            Map.entry("requestIdHeader", PREFIX + "request-id-header"),
            Map.entry("loggingContextKey", PREFIX + "logging-context-key"),
            Map.entry("applicationPackages", PREFIX + "application-packages"),
            Map.entry("spanAttributes", PREFIX + "span-attributes"),
            Map.entry("environment", PREFIX + "profile.environment"));

    private QuarkusSettings() {
        super("quarkus.allocline", AllocLineSettings::of);
    }

    /**
     * The settings {@code config} describes, with {@code sinks} after none of the core's default ones.
     *
     * @param s3 the S3 store for {@code profile.s3-bucket}, asked for only when that is set
     * @throws IllegalArgumentException naming every bad property
     */
    static AllocLineSettings from(AllocLineConfig config, List<CanonicalLineSink> sinks,
            java.util.function.Function<String, ProfileStore> s3) {
        QuarkusSettings b = new QuarkusSettings().defaultSink(false);
        for (CanonicalLineSink sink : sinks) {
            b.sink(sink);
        }
        config.requestIdHeader().ifPresent(b::requestIdHeader);
        b.loggingContextKey(config.loggingContext() ? config.loggingContextKey() : null);
        b.processAllocationDelta(config.processAllocationDelta());
        config.applicationPackages().ifPresent(p -> b.applicationPackages(p.toArray(new String[0])));
        config.spanAttributes().ifPresent(b::spanAttributes);
        List<String> skip = List.copyOf(config.skipPaths());
        if (!skip.isEmpty()) {
            b.skip(line -> startsWithAny(line.httpPath(), skip));
        }
        AllocLineConfig.Profile p = config.profile();
        b.profileThresholdBytes(p.threshold().asLongValue());
        b.profileKind(p.kind() == AllocLineConfig.Kind.HEAP_DUMP ? ProfileKind.HEAP_DUMP : ProfileKind.JFR);
        b.profileCooldown(p.cooldown());
        b.environment(p.environment());
        p.tempDirectory().ifPresent(b::profileTempDirectory);
        if (p.directory().isPresent() && p.s3Bucket().isPresent()) {
            throw new IllegalArgumentException("invalid quarkus.allocline settings: " + PREFIX + "profile.directory and "
                    + PREFIX + "profile.s3-bucket are both set; set one");
        }
        try {
            p.directory().ifPresent(d -> b.profileStore(new LocalDirectoryProfileStore(d)));
            p.s3Bucket().ifPresent(bucket -> b.profileStore(s3.apply(bucket)));
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(propertyNames(e.getMessage()), e);
        }
    }

    private static boolean startsWithAny(String path, List<String> prefixes) {
        for (String prefix : prefixes) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** The core's message with each Java setting name replaced by its property. */
    static String propertyNames(String message) {
        String m = message == null ? "" : message;
        for (Map.Entry<String, String> e : PROPERTY_NAMES) {
            m = m.replaceAll("\\b" + e.getKey() + "\\b", java.util.regex.Matcher.quoteReplacement(e.getValue()));
        }
        return m;
    }

}
