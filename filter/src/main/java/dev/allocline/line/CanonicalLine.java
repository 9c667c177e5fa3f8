package dev.allocline.line;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One request's canonical line: what was asked, what came back, how long it took and how many bytes
 * it allocated.
 *
 * @param requestId         id generated for this request (32 hex digits)
 * @param httpMethod        the request method as sent
 * @param httpPath          the raw request path as sent, without the query string
 * @param httpRoute         the matched route template, e.g. {@code /clusters/{cluster_id}/databases};
 *                          empty when nothing matched
 * @param status            the response status; 0 when no response was produced
 * @param responseWritten   whether the response (headers and entity) reached the connection
 * @param duration          from the start of Jersey's processing to the end of writing the response
 * @param allocatedBytes    bytes allocated by the threads working on this request while they did; -1
 *                          when unavailable (see {@code allocUnavailableReason})
 * @param allocUnavailableReason why {@code allocatedBytes} is -1 ({@code virtual_thread},
 *                          {@code disabled}, {@code unsupported_jvm}, ...); empty when it is available
 * @param allocThreads      how many threads contributed to {@code allocatedBytes}
 * @param totalAllocDelta   process-wide allocated bytes over the request, sampled (see
 *                          {@code ProcessAllocationSampler}); -1 when disabled or unavailable
 * @param readOverhead      time spent reading counters for this request
 * @param profileKey        the key of the profile captured because of this request, if any
 */
public record CanonicalLine(
        String requestId,
        String httpMethod,
        String httpPath,
        String httpRoute,
        int status,
        boolean responseWritten,
        Duration duration,
        long allocatedBytes,
        Optional<String> allocUnavailableReason,
        int allocThreads,
        long totalAllocDelta,
        Duration readOverhead,
        Optional<String> profileKey) {

    public CanonicalLine {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(httpMethod, "httpMethod");
        Objects.requireNonNull(httpPath, "httpPath");
        Objects.requireNonNull(httpRoute, "httpRoute");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(allocUnavailableReason, "allocUnavailableReason");
        Objects.requireNonNull(readOverhead, "readOverhead");
        Objects.requireNonNull(profileKey, "profileKey");
    }

    /** A copy of this line carrying {@code key} as its profile key. */
    public CanonicalLine withProfileKey(String key) {
        return new CanonicalLine(requestId, httpMethod, httpPath, httpRoute, status, responseWritten, duration,
                allocatedBytes, allocUnavailableReason, allocThreads, totalAllocDelta, readOverhead,
                Optional.of(key));
    }
}
