package dev.allocline.internal.accounting;

/**
 * A request of the portable filter that a runtime answered outside the Jakarta REST filter chain (an
 * exception it does not map, answered by its own fault handling): a runtime adapter that sees that
 * answer ends the request with the status the client got. Called on the thread that answered; the
 * request's line is written then (once: a later end from the filters does nothing). Not API.
 */
public interface UnansweredRequest {

    /**
     * Ends the request with {@code status} ({@code 0} when unknown) and writes its line.
     *
     * @param written whether the runtime's answer was sent to the client
     */
    void endOutsideFilters(int status, boolean written);
}
