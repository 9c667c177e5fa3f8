package dev.allocline.quarkus.runtime;

import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import java.util.Map;
import java.util.Set;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import org.jboss.logmanager.ExtFormatter;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;
import org.jboss.logmanager.formatters.JsonFormatter;

/**
 * Gives a canonical line's fields to JSON logs as JSON fields, numbers as numbers. Quarkus' JSON formatter
 * ({@code quarkus-logging-json}, a JBoss LogManager {@link JsonFormatter}) writes only fixed keys, the
 * MDC (strings) and static additional fields, and has no per-record extension point; so every JSON
 * formatter on the handlers of the line's logger is wrapped once: for a record that carries a line the
 * fields are added to the object it wrote, every other record passes through untouched.
 * A field named like one of the formatter's own keys keeps only its place in the message text.
 */
final class JsonLineFields extends ExtFormatter {

    /** The keys JBoss LogManager's structured formatters write by default; a field of that name is left out. */
    private static final Set<String> FORMATTER_KEYS = Set.of("timestamp", "sequence", "loggerClassName", "loggerName",
            "level", "message", "threadName", "threadId", "mdc", "ndc", "hostName", "processName", "processId",
            "exception", "stackTrace", "sourceClassName", "sourceFileName", "sourceMethodName", "sourceLineNumber",
            "sourceModuleName", "sourceModuleVersion");

    private final ExtFormatter delegate;

    private JsonLineFields(ExtFormatter delegate) {
        this.delegate = delegate;
    }

    /** Wraps the JSON formatters of the handlers {@code logger}'s records reach (its own and its parents'). */
    static void decorate(Logger logger) {
        for (java.util.logging.Logger l = logger; l != null; l = l.getParent()) {
            for (Handler h : l.getHandlers()) {
                decorate(h, 0);
            }
            if (!l.getUseParentHandlers()) {
                break;
            }
        }
    }

    private static void decorate(Handler h, int depth) {
        if (depth > 8) {
            return;
        }
        Formatter f = h.getFormatter();
        if (f instanceof JsonFormatter) {
            h.setFormatter(new JsonLineFields((ExtFormatter) f));
        }
        if (h instanceof ExtHandler) {
            for (Handler child : ((ExtHandler) h).getHandlers()) {
                decorate(child, depth + 1);
            }
        }
    }

    @Override
    public String format(ExtLogRecord record) {
        String json = delegate.format(record);
        Object[] params = record.getParameters();
        if (params == null || params.length != 1 || !(params[0] instanceof CanonicalLine)) {
            return json;
        }
        int end = json.lastIndexOf('}');
        if (end < 0) {
            return json;
        }
        StringBuilder sb = new StringBuilder(json.length() + 512);
        sb.append(json, 0, end);
        for (Map.Entry<String, Object> e : CanonicalLineFormat.fields((CanonicalLine) params[0]).entrySet()) {
            if (FORMATTER_KEYS.contains(e.getKey())) {
                continue;
            }
            sb.append(',');
            string(sb, e.getKey());
            sb.append(':');
            value(sb, e.getValue());
        }
        sb.append(json, end, json.length());
        return sb.toString();
    }

    private static void value(StringBuilder sb, Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            sb.append(((Number) v).longValue());
        } else if ((v instanceof Double || v instanceof Float) && Double.isFinite(((Number) v).doubleValue())) {
            sb.append(((Number) v).doubleValue());
        } else if (v instanceof java.math.BigInteger || v instanceof java.math.BigDecimal) {
            sb.append(v);
        } else if (v instanceof Boolean) {
            sb.append(((Boolean) v).booleanValue());
        } else {
            string(sb, String.valueOf(v));
        }
    }

    /** A JSON string: quotes, backslashes and every control character escaped (RFC 8259). */
    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    @Override
    public String formatMessage(java.util.logging.LogRecord record) {
        return delegate.formatMessage(record);
    }

    @Override
    public boolean isCallerCalculationRequired() {
        return delegate.isCallerCalculationRequired();
    }

    @Override
    public String getHead(Handler h) {
        return delegate.getHead(h);
    }

    @Override
    public String getTail(Handler h) {
        return delegate.getTail(h);
    }
}
