package dev.allocline.line;

import dev.allocline.internal.line.FieldRenderer;
import dev.allocline.internal.line.LineFormat;
import dev.allocline.internal.line.LineMessage;
import java.util.Map;

/**
 * The canonical line's fields, in their documented order and with their logfmt names: the one place
 * that says what a line contains. The logfmt text, the structured map, the Log4j2 message and SLF4J's
 * key-value pairs are all written from it, so they cannot drift apart. Stateless; any thread.
 */
final class LineFields implements FieldRenderer<CanonicalLine> {

    static final LineFields INSTANCE = new LineFields();

    private LineFields() {
    }

    /** The Log4j2 message of {@code line}: its map filled and its text rendered only when read. */
    static LineMessage message(CanonicalLine line) {
        // the library's fields at most, then the application's
        return new LineMessage(LineFormat.MESSAGE_PREFIX, line, INSTANCE, 15 + line.fields().size());
    }

    @Override
    public void writeTo(CanonicalLine line, LineFormat.FieldWriter w) {
        w.text("request_id", line.requestId());
        w.text("http_method", line.httpMethod());
        w.text("http_path", line.httpPath());
        w.text("http_route", line.httpRoute());
        w.number("status", line.status());
        w.bool("response_written", line.responseWritten());
        w.duration("duration", line.durationNanos());
        w.number("alloc_bytes", line.allocatedBytes());
        if (line.allocUnavailableReason().isPresent()) {
            w.text("alloc_unavailable", line.allocUnavailableReason().get());
        }
        w.number("alloc_threads", line.allocThreads());
        w.number("total_alloc_delta", line.totalAllocDelta());
        w.number("alloc_reads", line.allocReads());
        if (line.profileKey().isPresent()) {
            w.text("profile_key", line.profileKey().get());
        }
        Map<String, Object> fields = line.fields();
        if (!fields.isEmpty()) { // an empty map's iterator is still an object
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                w.value(e.getKey(), e.getValue());
            }
        }
    }
}
