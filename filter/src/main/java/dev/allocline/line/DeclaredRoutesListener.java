package dev.allocline.line;

import java.util.Set;

/**
 * Told the route templates an application declares, once its resource model is known at start. A sink
 * that also implements this interface ({@code MicrometerSink}, the Dropwizard bundle's histograms) is told
 * automatically, so it can keep series
 * for the application's own routes whatever else a client made it see first.
 *
 * <p>The templates are relative to the application's base path and spelt as the line's {@code http_route}
 * spells them after that base path: {@code /clusters/{cluster_id}/databases}, a regular expression reduced to
 * the variable's name. A line's route is one of them preceded by the base path (the Jersey Feature's {@code
 * /api} prefix, a servlet's context and mapping); routes reached through sub-resource locators are made at run
 * time and are not among them. An entry point with no resource model at start (the portable filter) never
 * calls it.
 *
 * <p>Threading: called on the thread that starts (or reloads) the application, possibly more than once and by
 * several applications sharing one sink; each call adds to what the earlier ones declared. Must not throw (a
 * throw is contained and logged).
 */
@FunctionalInterface
public interface DeclaredRoutesListener {

    /** The templates one application declares (unmodifiable; never empty strings). */
    void onDeclaredRoutes(Set<String> templates);
}
