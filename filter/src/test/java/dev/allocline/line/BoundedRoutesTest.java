package dev.allocline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class BoundedRoutesTest {

    @Test
    void aDeclaredTemplateIsDeclaredBehindAnyBasePathOfWholeSegments() {
        BoundedRoutes r = new BoundedRoutes(4, "OTHER");
        r.onDeclaredRoutes(Set.of("/clusters/{id}", "/", "/r"));
        assertTrue(r.isDeclared("/clusters/{id}"));
        assertTrue(r.isDeclared("/api/clusters/{id}"));
        assertTrue(r.isDeclared("/app/api/r"));
        assertFalse(r.isDeclared("/api/myclusters/{id}"), "not a whole segment");
        assertFalse(r.isDeclared("api/r"), "a base path starts with a slash");
        assertFalse(r.isDeclared("/app"), "the root template reserves nothing");
        assertFalse(r.isDeclared("/clusters/{id}/x"));
    }

    @Test
    void undeclaredRoutesFillTheirPoolAndNeverTheDeclaredOnes() {
        BoundedRoutes r = new BoundedRoutes(3, "OTHER");
        for (int i = 0; i < 10; i++) {
            assertEquals(i < 3 ? "/gen/" + i : "OTHER", r.admit("/gen/" + i));
        }
        r.onDeclaredRoutes(Set.of("/a"));
        r.onDeclaredRoutes(Set.of("/b", "/c", "/d")); // a second application adds to the first
        assertEquals("/app/a", r.admit("/app/a"));
        assertEquals("/app/b", r.admit("/app/b"));
        assertEquals("/app/c", r.admit("/app/c"));
        assertEquals("OTHER", r.admit("/app/d"), "the declared pool is bounded too");
        assertEquals("/gen/0", r.admit("/gen/0"), "admitted values stay");
        assertThrows(IllegalArgumentException.class, () -> new BoundedRoutes(0, "OTHER"));
    }

    @Test
    void fixedValuesAreAlwaysTheirOwnAndTakeNoSlot() {
        BoundedRoutes r = new BoundedRoutes(1, "OTHER", Set.of("NOT_FOUND"));
        assertEquals("NOT_FOUND", r.admit("NOT_FOUND"));
        assertEquals("/gen/0", r.admit("/gen/0"), "the one undeclared slot is still free");
        assertEquals("OTHER", r.admit("/gen/1"));
        assertEquals("NOT_FOUND", r.admit("NOT_FOUND"));
    }
}
