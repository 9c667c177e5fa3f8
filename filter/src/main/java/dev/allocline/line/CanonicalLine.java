package dev.allocline.line;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One request's canonical line: what was asked, what came back, how long it took and how many bytes
 * it allocated, followed by the application's own fields. Immutable; safe to share between threads.
 *
 * @param requestId         the request's id: generated (32 hex digits), or the trusted inbound header
 *                          (see {@code requestIdHeader})
 * @param httpMethod        the request method as sent
 * @param httpPath          the raw request path as sent, without the query string
 * @param httpRoute         the matched route template including the application's base path, e.g.
 *                          {@code /api/clusters/{cluster_id}/databases}; empty when nothing matched
 * @param status            the response status; 0 when no response was produced
 * @param responseWritten   whether the response (headers and entity) reached the connection
 * @param durationNanos     from the start of processing to the end of writing the response, in nanoseconds
 *                          (a number, not a {@code Duration}: every line would otherwise carry one more
 *                          object; {@link #duration()} makes one for whoever asks)
 * @param allocatedBytes    bytes allocated by the threads working on this request while they did; -1
 *                          when unavailable (see {@code allocUnavailableReason})
 * @param allocUnavailableReason why {@code allocatedBytes} is -1 ({@code virtual_thread},
 *                          {@code disabled}, {@code unsupported_jvm}, ...); empty when it is available
 * @param allocThreads      how many threads contributed to {@code allocatedBytes}
 * @param totalAllocDelta   process-wide allocated bytes over the request, sampled (see
 *                          {@code ProcessAllocationSampler}); -1 when disabled or unavailable
 * @param allocReads        how many times a thread's allocation counter was read for this request (each
 *                          read costs ~20 ns of CPU, see the benchmark report); the line carries the count,
 *                          not a wall-clock time, which preemption and cold code would inflate
 * @param profileKey        the key of the profile captured because of this request, if any
 * @param fields            the application's fields ({@code AllocLine.put}) and the correlation fields
 *                          ({@code trace_id}, {@code span_id}), in insertion order; unmodifiable
 */
public record CanonicalLine(
        String requestId,
        String httpMethod,
        String httpPath,
        String httpRoute,
        int status,
        boolean responseWritten,
        long durationNanos,
        long allocatedBytes,
        Optional<String> allocUnavailableReason,
        int allocThreads,
        long totalAllocDelta,
        int allocReads,
        Optional<String> profileKey,
        Map<String, Object> fields) {

    public CanonicalLine {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(httpMethod, "httpMethod");
        Objects.requireNonNull(httpPath, "httpPath");
        Objects.requireNonNull(httpRoute, "httpRoute");
        if (durationNanos < 0) {
            throw new IllegalArgumentException("durationNanos must not be negative, was " + durationNanos);
        }
        Objects.requireNonNull(allocUnavailableReason, "allocUnavailableReason");
        Objects.requireNonNull(profileKey, "profileKey");
        Objects.requireNonNull(fields, "fields");
    }

    /** A line whose duration is given as a {@code Duration}; otherwise as the canonical constructor. */
    public CanonicalLine(String requestId, String httpMethod, String httpPath, String httpRoute, int status,
            boolean responseWritten, Duration duration, long allocatedBytes, Optional<String> allocUnavailableReason,
            int allocThreads, long totalAllocDelta, int allocReads, Optional<String> profileKey,
            Map<String, Object> fields) {
        this(requestId, httpMethod, httpPath, httpRoute, status, responseWritten,
                Objects.requireNonNull(duration, "duration").toNanos(), allocatedBytes, allocUnavailableReason,
                allocThreads, totalAllocDelta, allocReads, profileKey, fields);
    }

    /** From the start of processing to the end of writing the response (a new object per call). */
    public Duration duration() {
        return Duration.ofNanos(durationNanos);
    }

    /** A copy of this line carrying {@code key} as its profile key. */
    public CanonicalLine withProfileKey(String key) {
        return new CanonicalLine(requestId, httpMethod, httpPath, httpRoute, status, responseWritten, durationNanos,
                allocatedBytes, allocUnavailableReason, allocThreads, totalAllocDelta, allocReads, Optional.of(key),
                fields);
    }
}
