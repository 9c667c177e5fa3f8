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
     * @param answer what is known of the runtime's answer when the line is written
     */
    void endOutsideFilters(int status, Answer answer);

    /** What is known of the answer when the line is written: its {@code response_written} and {@code answered_by}. */
    enum Answer {
        /** The runtime sent it: {@code response_written=true}. */
        SENT,
        /** Sending failed or nothing can be sent (the response was committed before): {@code response_written=false}. */
        NOT_SENT,
        /**
         * The servlet container answers with this status after the line is written (an exception leaving the
         * servlet): not written yet, so {@code response_written=false}, and {@code answered_by=container}
         * says why and that the status is the container's.
         */
        CONTAINER_ANSWERS_AFTER
    }
}
