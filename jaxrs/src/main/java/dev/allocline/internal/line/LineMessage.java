package dev.allocline.internal.line;

import dev.allocline.line.CanonicalLine;
import java.util.Map;
import org.apache.logging.log4j.message.AsynchronouslyFormattable;
import org.apache.logging.log4j.message.MapMessage;

/**
 * A Log4j2 {@link MapMessage} whose text is {@code prefix} followed by logfmt pairs and whose map holds
 * the same fields, numbers as numbers, so JSON layouts need no parsing. Created per event on the
 * logging thread; read by appenders. Not API: may change without notice.
 *
 * <p>Annotated {@link AsynchronouslyFormattable} (the annotation is not inherited from
 * {@code MapMessage}): its content never changes, so Log4j2 need not format it on the request thread
 * to freeze it, and a logger whose appenders never print it (a Null appender, an async logger's
 * background thread) does not pay for the text there. Where the text is needed, {@link #formatTo}
 * writes it straight into the layout's buffer.
 */
@AsynchronouslyFormattable
public final class LineMessage extends MapMessage<LineMessage, Object> {
    private static final long serialVersionUID = 1L;

    private final transient String prefix;
    private final transient Map<String, ?> fieldsInOrder;
    private final transient CanonicalLine line;
    /** Rendered once: Log4j2 formats a message when the event is created and the layout asks again. */
    private transient String formatted;

    /** A message with the given prefix word and fields, in the map's iteration order. */
    public LineMessage(String prefix, Map<String, ?> fields) {
        super(fields.size());
        this.prefix = prefix;
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            with(e.getKey(), e.getValue());
        }
        this.fieldsInOrder = fields;
        this.line = null;
    }

    /** The canonical line's message: its map is filled directly, its text rendered on first use. */
    public LineMessage(CanonicalLine line) {
        super(15 + line.fields().size()); // the library's fields at most, then the application's
        this.prefix = dev.allocline.line.CanonicalLineFormat.MESSAGE_PREFIX;
        this.fieldsInOrder = null;
        this.line = line;
        LineFormat.writeFields(line, this::with);
    }

    @Override
    public String getFormattedMessage() {
        String f = formatted;
        if (f == null) {
            f = line != null ? LineFormat.logfmt(line) : LineFormat.logfmt(prefix, fieldsInOrder);
            formatted = f;
        }
        return f;
    }

    @Override
    public String getFormattedMessage(String[] formats) {
        // JSON and XML renderings come from the map; the plain text is logfmt.
        if (formats != null) {
            for (String f : formats) {
                if ("JSON".equalsIgnoreCase(f) || "XML".equalsIgnoreCase(f) || "JAVA".equalsIgnoreCase(f)) {
                    return super.getFormattedMessage(formats);
                }
            }
        }
        return getFormattedMessage();
    }

    @Override
    public void formatTo(StringBuilder buffer) {
        String f = formatted;
        if (f != null) {
            buffer.append(f);
        } else if (line != null) {
            LineFormat.appendLogfmt(line, buffer); // no intermediate String
        } else {
            buffer.append(getFormattedMessage());
        }
    }

    @Override
    public void formatTo(String[] formats, StringBuilder buffer) {
        buffer.append(getFormattedMessage(formats));
    }

    @Override
    public String toString() {
        return getFormattedMessage();
    }

    @Override
    public LineMessage newInstance(Map<String, Object> map) {
        return new LineMessage(prefix, map);
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }
}
