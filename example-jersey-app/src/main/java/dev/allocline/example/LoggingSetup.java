package dev.allocline.example;

import java.util.Locale;

/** Chooses the Log4j2 configuration before the first logger exists. */
final class LoggingSetup {

    private LoggingSetup() {
    }

    /** Routes java.util.logging (Jersey, Grizzly) into Log4j2 and picks text or JSON output. */
    static void beforeAnyLogger() {
        System.setProperty("java.util.logging.manager", "org.apache.logging.log4j.jul.LogManager");
        String format = System.getProperty("allocline.log.format", System.getenv("ALLOCLINE_LOG_FORMAT"));
        if (format != null && format.trim().toLowerCase(Locale.ROOT).equals("json")
                && System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-json.xml");
        }
    }
}
