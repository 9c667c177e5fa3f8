package dev.allocline.profile;

import java.util.Map;
import java.util.Objects;

/**
 * What became of one overrun's profile. Immutable; any thread.
 *
 * @param result     the outcome
 * @param requestId  the overrunning request's id
 * @param profileKey the key on its line; null when the capture was skipped (no key was handed out)
 * @param fields     the {@code profile_generated_line}'s fields (location, reason, detail, sites), in order;
 *                   empty for a skip
 */
public record ProfileReport(ProfileResult result, String requestId, String profileKey, Map<String, Object> fields) {

    public ProfileReport {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(requestId, "requestId");
        fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
    }

    /** The outcomes, with the tag values metrics use. */
    public enum ProfileResult {
        /** Captured and stored. */
        STORED("stored"),
        /** Captured, but the store refused or failed. */
        STORE_FAILED("store_failed"),
        /** The capture itself failed (no recording, no temp directory, ...). */
        CAPTURE_FAILED("capture_failed"),
        /** Not captured: it could exceed the disk budget or the free space. */
        SKIPPED_DISK_BUDGET("skipped_disk_budget"),
        /** Not captured: another capture was in flight or the cooldown had not passed. */
        SKIPPED_COOLDOWN("skipped_cooldown");

        private final String tag;

        ProfileResult(String tag) {
            this.tag = tag;
        }

        /** The value for a metric tag or a log field. */
        public String tag() {
            return tag;
        }
    }
}
