package dev.allocline.line;

import java.util.Map;
import java.util.Objects;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.message.MapMessage;

/**
 * Writes each line as one Log4j2 event: a {@link MapMessage} whose formatted text is
 * {@code canonical_api_line key=value ...} (logfmt) and whose map holds the same fields, so JSON
 * layouts ({@code JsonTemplateLayout}'s {@code map} or {@code message} resolvers) need no parsing.
 */
public final class Log4j2Sink implements CanonicalLineSink {

    /** Logger name used by default. */
    public static final String DEFAULT_LOGGER = "dev.allocline.canonical";

    private final Logger logger;
    private final Level level;

    /** A sink writing at INFO to {@value #DEFAULT_LOGGER}. */
    public Log4j2Sink() {
        this(DEFAULT_LOGGER, Level.INFO);
    }

    /** A sink writing at {@code level} to the logger named {@code loggerName}. */
    public Log4j2Sink(String loggerName, Level level) {
        this.logger = LogManager.getLogger(Objects.requireNonNull(loggerName, "loggerName"));
        this.level = Objects.requireNonNull(level, "level");
    }

    @Override
    public void accept(CanonicalLine line) {
        if (logger.isEnabled(level)) {
            logger.log(level, new LineMessage(line));
        }
    }

    /**
     * A {@link MapMessage} whose text is {@code prefix} followed by logfmt pairs. Public so that other
     * lines of the library ({@code profile_generated_line}) render the same way.
     */
    public static final class LineMessage extends MapMessage<LineMessage, Object> {
        private static final long serialVersionUID = 1L;
        private final String prefix;

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
        LineMessage(CanonicalLine line) {
            super(16);
            this.prefix = CanonicalLineFormat.MESSAGE_PREFIX;
            this.fieldsInOrder = null;
            this.line = line;
            CanonicalLineFormat.writeFields(line, new CanonicalLineFormat.FieldWriter() {
                @Override
                public void text(String key, String value) {
                    with(key, value);
                }

                @Override
                public void number(String key, long value) {
                    with(key, value);
                }

                @Override
                public void bool(String key, boolean value) {
                    with(key, value);
                }
            });
        }

        private final transient Map<String, ?> fieldsInOrder;
        private final transient CanonicalLine line;
        /**
         * Rendered once: Log4j2 formats a message when the event is created and the layout asks again;
         * without this the logfmt text was built twice per event.
         */
        private transient String formatted;

        @Override
        public String getFormattedMessage() {
            String f = formatted;
            if (f == null) {
                f = line != null ? CanonicalLineFormat.logfmt(line) : CanonicalLineFormat.logfmt(prefix, fieldsInOrder);
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
            buffer.append(getFormattedMessage());
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
}
