package dev.allocline.internal.line;

/**
 * Writes the fields of one kind of subject (a canonical line, say) to a {@link LineFormat.FieldWriter},
 * in order. A stateless singleton per kind, so that rendering a subject allocates no adapter: the
 * formatter and {@link LineMessage} know fields, never the API types that carry them. Any thread.
 * Not API.
 */
@FunctionalInterface
public interface FieldRenderer<T> {

    /** Writes {@code subject}'s fields to {@code w}, in their documented order. */
    void writeTo(T subject, LineFormat.FieldWriter w);
}
