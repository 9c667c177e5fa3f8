/**
 * allocline: one canonical log line per request with the bytes that request allocated. This module is
 * the runtime-neutral core and the portable Jakarta REST entry point; {@code dev.allocline.jersey}
 * adds Jersey's event-based entry point on top.
 *
 * <p>Only the API packages are exported; {@code dev.allocline.internal.*} may change without notice.
 */
module dev.allocline {
    requires transitive jakarta.ws.rs;
    requires static transitive org.apache.logging.log4j; // only where the service has Log4j2's API (Logging)
    requires jakarta.annotation;
    requires java.management;
    requires jdk.management;
    requires jdk.jfr;
    requires jdk.security.auth; // this process's uid, for the profile temp directory's owner check
    requires static org.slf4j;
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;
    requires static software.amazon.awssdk.services.s3;
    requires static software.amazon.awssdk.core;
    requires static software.amazon.awssdk.awscore;
    requires static software.amazon.awssdk.http;

    exports dev.allocline;
    exports dev.allocline.jaxrs;
    exports dev.allocline.line;
    exports dev.allocline.profile;
    // The runtime adapters drive the same accounting; nothing else may. These are exactly the modules that
    // import the packages (ModuleTest); the Quarkus extension imports them too, but Quarkus applications
    // run on the class path, where qualified exports do not apply.
    exports dev.allocline.internal.accounting to dev.allocline.jersey, dev.allocline.cxf;
    exports dev.allocline.internal to dev.allocline.jersey;
}
