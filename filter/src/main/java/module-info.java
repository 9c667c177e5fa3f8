/**
 * allocline: one canonical log line per request with the bytes that request allocated.
 *
 * <p>Only the API packages are exported; {@code dev.allocline.internal.*} may change without notice.
 */
module dev.allocline {
    requires transitive jakarta.ws.rs;
    requires transitive org.apache.logging.log4j;
    requires org.glassfish.jersey.core.server;
    requires org.glassfish.jersey.core.common;
    requires java.management;
    requires jdk.management;
    requires jdk.jfr;
    requires static org.slf4j;
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;
    requires static software.amazon.awssdk.services.s3;
    requires static software.amazon.awssdk.core;
    requires static software.amazon.awssdk.http;

    exports dev.allocline.jersey;
    exports dev.allocline.line;
    exports dev.allocline.profile;
    // exports nothing else: dev.allocline.internal.* is not API
}
