package dev.allocline.dropwizard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.jsontype.NamedType;

/**
 * Whether Dropwizard's JSON logging is on the class path, and the registration of allocline's {@code json}
 * layout; its own class so that {@link KeyValueJsonLayoutFactory} (which extends a class of
 * {@code dropwizard-json-logging}) is loaded only when that module is there. Start-up thread only.
 */
final class JsonLogging {

    private JsonLogging() {
    }

    static boolean present() {
        try {
            Class.forName("io.dropwizard.logging.json.EventJsonLayoutBaseFactory", false,
                    JsonLogging.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static void register(ObjectMapper mapper) {
        mapper.registerSubtypes(new NamedType(KeyValueJsonLayoutFactory.class, "json"));
    }
}
