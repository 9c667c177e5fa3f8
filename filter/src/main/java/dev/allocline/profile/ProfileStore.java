package dev.allocline.profile;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where captured profiles go. Threading: called on the library's profile thread, never on a request
 * thread, one profile at a time; it may block (bound it with the client's own timeouts). The file is
 * deleted by the caller afterwards, whatever happens.
 */
@FunctionalInterface
public interface ProfileStore {

    /**
     * Stores {@code file} under {@code key} ({@code {environment}/profiles/{requestId}-{16 hex digits}.jfr}; once
     * that is stored, files derived from it follow under the same key with another ending:
     * {@code .request.jfr}, the request's own recording, and {@code .flamegraph.html}).
     * Keys are unique by construction (the suffix is the library's, never the client's); a store should
     * refuse a key it already holds rather than replace what is there.
     *
     * @return where it went, e.g. {@code s3://bucket/key} or a file URI
     * @throws IOException when it could not be stored; the caller logs it (rate-limited)
     */
    String store(String key, Path file) throws IOException;
}
