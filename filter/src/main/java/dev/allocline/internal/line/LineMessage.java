package dev.allocline.internal.line;

import java.util.Map;
import org.apache.logging.log4j.message.AsynchronouslyFormattable;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.util.BiConsumer;
import org.apache.logging.log4j.util.IndexedReadOnlyStringMap;
import org.apache.logging.log4j.util.TriConsumer;

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
 *
 * <p>The canonical line's map is filled on first use, by whichever method reads it (a JSON layout's map
 * or message resolver, a {@code %K} pattern): a text layout reads only the text, so the request thread
 * pays for neither the map's tables nor boxed numbers. Every method of {@code MapMessage} that reads or
 * changes the map is overridden to fill it first; filling is synchronized and happens once.
 */
@AsynchronouslyFormattable
public final class LineMessage extends MapMessage<LineMessage, Object> {
    private static final long serialVersionUID = 1L;

    /** Serialized (with the text): a deserialized message has neither the line nor the ordered fields. */
    private final String prefix;
    private final transient Map<String, ?> fieldsInOrder;
    /** What the map and text are rendered from, until filled; null once deserialized or for a plain map. */
    private final transient Object subject;
    private final transient FieldRenderer<Object> renderer;
    /**
     * Rendered once: Log4j2 formats a message when the event is created and the layout asks again.
     * Serialized, rendered first by {@link #writeReplace}: the map comes back sorted by key, so the text
     * could not be rebuilt in the line's order on the other side (socket and JMS appenders ship events).
     */
    private String formatted;
    /** Whether the map holds the fields; false only for a canonical line nobody has read as a map yet. */
    private transient volatile boolean filled;

    /** A message with the given prefix word and fields, in the map's iteration order. */
    public LineMessage(String prefix, Map<String, ?> fields) {
        super(fields.size());
        this.prefix = prefix;
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            with(e.getKey(), e.getValue());
        }
        this.fieldsInOrder = fields;
        this.subject = null;
        this.renderer = null;
        this.filled = true;
    }

    /**
     * A message whose map is filled from {@code subject} on first use and whose text is rendered on first
     * use; {@code capacity} is the number of fields expected.
     */
    @SuppressWarnings("unchecked")
    public <T> LineMessage(String prefix, T subject, FieldRenderer<? super T> renderer, int capacity) {
        super(capacity);
        this.prefix = prefix;
        this.fieldsInOrder = null;
        this.subject = subject;
        this.renderer = (FieldRenderer<Object>) renderer;
    }

    /** Puts the line's fields in the map unless they are there already. */
    private void fill() {
        if (filled || subject == null) { // null: deserialized, with its map (see writeReplace)
            return;
        }
        synchronized (this) {
            if (!filled) {
                renderer.writeTo(subject, (key, value) -> super.with(key, value));
                filled = true;
            }
        }
    }

    @Override
    public String getFormattedMessage() {
        String f = formatted;
        if (f == null) {
            f = subject != null ? LineFormat.logfmt(prefix, subject, renderer) : LineFormat.logfmt(prefix, fieldsInOrder);
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
                    fill();
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
        } else if (subject != null) {
            LineFormat.appendLogfmt(prefix, subject, renderer, buffer); // no intermediate String
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
        fill();
        if (o instanceof LineMessage) {
            ((LineMessage) o).fill();
        }
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        fill();
        return super.hashCode();
    }

    // ---- every other reader or writer of the map fills it first ----

    @Override
    public Object[] getParameters() {
        fill();
        return super.getParameters();
    }

    @Override
    public Map<String, Object> getData() {
        fill();
        return super.getData();
    }

    @Override
    public IndexedReadOnlyStringMap getIndexedReadOnlyStringMap() {
        fill();
        return super.getIndexedReadOnlyStringMap();
    }

    @Override
    public void clear() {
        fill();
        super.clear();
    }

    @Override
    public boolean containsKey(String key) {
        fill();
        return super.containsKey(key);
    }

    @Override
    public void put(String key, String value) {
        fill();
        super.put(key, value);
    }

    @Override
    public void putAll(Map<String, String> map) {
        fill();
        super.putAll(map);
    }

    @Override
    public String get(String key) {
        fill();
        return super.get(key);
    }

    @Override
    public String remove(String key) {
        fill();
        return super.remove(key);
    }

    @Override
    public String asString() {
        fill();
        return super.asString();
    }

    @Override
    public String asString(String format) {
        fill();
        return super.asString(format);
    }

    @Override
    public <CV> void forEach(BiConsumer<String, ? super CV> action) {
        fill();
        super.forEach(action);
    }

    @Override
    public <CV, S> void forEach(TriConsumer<String, ? super CV, S> action, S state) {
        fill();
        super.forEach(action, state);
    }

    @Override
    public void asXml(StringBuilder sb) {
        fill();
        super.asXml(sb);
    }

    @Override
    protected void appendMap(StringBuilder sb) {
        fill();
        super.appendMap(sb);
    }

    @Override
    protected void asJson(StringBuilder sb) {
        fill();
        super.asJson(sb);
    }

    @Override
    protected void asJavaUnquoted(StringBuilder sb) {
        fill();
        super.asJavaUnquoted(sb);
    }

    @Override
    protected void asJava(StringBuilder sb) {
        fill();
        super.asJava(sb);
    }

    @Override
    public LineMessage with(String key, Object value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, String value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, boolean value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, byte value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, char value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, double value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, float value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, int value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, long value) {
        fill();
        return super.with(key, value);
    }

    @Override
    public LineMessage with(String key, short value) {
        fill();
        return super.with(key, value);
    }

    /** Serialized with its map filled and its text rendered: the subject itself is not serialized. */
    private Object writeReplace() {
        fill();
        getFormattedMessage();
        return this;
    }
}
