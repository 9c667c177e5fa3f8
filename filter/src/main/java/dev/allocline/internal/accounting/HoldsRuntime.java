package dev.allocline.internal.accounting;

/**
 * A provider that an entry point registered and that holds its runtime, so a runtime adapter that sees the
 * application stop (CXF's server life cycle) can stop the background parts with it. Not API.
 */
public interface HoldsRuntime {

    /** The runtime of the entry point that registered this provider. */
    AllocLineRuntime allocLineRuntime();
}
