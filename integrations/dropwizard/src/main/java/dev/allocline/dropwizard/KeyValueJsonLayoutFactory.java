package dev.allocline.dropwizard;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.logging.json.EventJsonLayoutBaseFactory;
import io.dropwizard.logging.json.layout.EventJsonLayout;
import io.dropwizard.logging.json.layout.JsonFormatter;
import io.dropwizard.logging.json.layout.TimestampFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.slf4j.event.KeyValuePair;

/**
 * Dropwizard's {@code json} layout plus each event's SLF4J 2 key-value pairs as JSON fields of the event
 * (numbers stay numbers), which Dropwizard's own layout drops: so a canonical line's {@code alloc_bytes},
 * {@code http_route}, {@code status}... are fields a log pipeline can query, not text inside
 * {@code message}. {@link AllocLineBundle} registers it under the type name {@code json}, so a service's
 * {@code layout: {type: json}} gets it without a change; every option of Dropwizard's layout works as
 * before. A pair never replaces a field the layout wrote (timestamp, level, message, MDC...). Off with
 * {@code keyValuePairs: false} in the layout block. Called by Logback's appender threads; keeps no state.
 */
public class KeyValueJsonLayoutFactory extends EventJsonLayoutBaseFactory {

    /** Whether events' SLF4J 2 key-value pairs become fields of the JSON event. */
    @JsonProperty
    private boolean keyValuePairs = true;

    public boolean isKeyValuePairs() {
        return keyValuePairs;
    }

    public void setKeyValuePairs(boolean keyValuePairs) {
        this.keyValuePairs = keyValuePairs;
    }

    @Override
    public LayoutBase<ILoggingEvent> build(LoggerContext context, TimeZone timeZone) {
        if (!keyValuePairs) {
            return super.build(context, timeZone);
        }
        // The same construction as Dropwizard's EventJsonLayoutBaseFactory.build, with the subclass.
        KeyValueJsonLayout layout = new KeyValueJsonLayout(createDropwizardJsonFormatter(),
                createTimestampFormatter(timeZone), createThrowableProxyConverter(context), getIncludes(),
                getCustomFieldNames(), getAdditionalFields(), getIncludesMdcKeys(), isFlattenMdc());
        layout.setContext(context);
        return layout;
    }

    static final class KeyValueJsonLayout extends EventJsonLayout {

        KeyValueJsonLayout(JsonFormatter formatter, TimestampFormatter timestamps,
                ch.qos.logback.classic.pattern.ThrowableHandlingConverter throwables,
                java.util.Set<io.dropwizard.logging.json.EventAttribute> includes, Map<String, String> customFieldNames,
                Map<String, Object> additionalFields, java.util.Set<String> includesMdcKeys, boolean flattenMdc) {
            super(formatter, timestamps, throwables, includes, customFieldNames, additionalFields, includesMdcKeys,
                    flattenMdc);
        }

        @Override
        protected Map<String, Object> toJsonMap(ILoggingEvent event) {
            Map<String, Object> fields = super.toJsonMap(event);
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs == null || pairs.isEmpty()) {
                return fields;
            }
            Map<String, Object> all = new LinkedHashMap<>(fields);
            for (KeyValuePair pair : pairs) {
                if (pair.key != null) {
                    all.putIfAbsent(pair.key, jsonValue(pair.value));
                }
            }
            return all;
        }

        /** Numbers, booleans and strings as themselves; anything else as its text (never a failed event). */
        private static Object jsonValue(Object value) {
            if (value == null || value instanceof Number || value instanceof Boolean || value instanceof String) {
                return value;
            }
            return String.valueOf(value);
        }
    }
}
