package dev.allocline.line;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The routes a metrics sink gives series of their own, bounded so that no client and no application with
 * routes made at run time can grow a registry without end, and reserved so that such routes, however many come
 * first, never displace the application's own. At most {@code max} routes that no application declared get
 * their own value, the first ones seen; the routes the application declared at start ({@link
 * DeclaredRoutesListener}, which a sink implementing it is told automatically) have a pool of {@code max} of
 * their own. Past its pool a route is {@code other}. So at most {@code 2 * max} values.
 *
 * <p>A route is declared when it is a declared template after a base path of whole segments ({@code /api}
 * and {@code /clusters/{id}} make {@code /api/clusters/{id}}). The root template {@code /} is not reserved: at a
 * base path other than {@code /} its route is the base path itself, which nothing tells apart from a path.
 *
 * <p>Threading: thread-safe; {@link #admit} is one set lookup once a route has its value. A race may admit a few past
 * either bound; they stay bounded.
 */
public final class BoundedRoutes implements DeclaredRoutesListener {

    private final int max;
    private final String other;
    /** Values that are always their own and count against no pool (a sink's fixed tags for no route). */
    private final Set<String> fixed;
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();
    private final AtomicInteger undeclared = new AtomicInteger();
    private final AtomicInteger declared = new AtomicInteger();
    /** Declared templates by their last segment: telling whether a route ends in one is a lookup, not a scan. */
    private volatile Map<String, Set<String>> templatesByLastSegment = Map.of();

    /**
     * @param max   most routes of their own per pool (undeclared, declared)
     * @param other the value of every route past its pool
     * @throws IllegalArgumentException when {@code max} is not positive
     */
    public BoundedRoutes(int max, String other) {
        this(max, other, Set.of());
    }

    /**
     * As {@link #BoundedRoutes(int, String)}, with {@code fixed} values (a sink's tags for no route, such as
     * {@code NOT_FOUND}) that are always their own and count against no pool.
     */
    public BoundedRoutes(int max, String other, Set<String> fixed) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive, was " + max);
        }
        this.max = max;
        this.other = java.util.Objects.requireNonNull(other, "other");
        this.fixed = Set.copyOf(fixed);
    }

    /** {@code route} when it has (or now gets) a value of its own, otherwise {@code other}. */
    public String admit(String route) {
        if (admitted.contains(route)) {
            return route; // the common path: one lookup
        }
        if (fixed.contains(route)) {
            admitted.add(route);
            return route;
        }
        AtomicInteger pool = isDeclared(route) ? declared : undeclared;
        if (pool.get() < max) {
            if (admitted.add(route)) {
                pool.incrementAndGet();
            }
            return route;
        }
        return other;
    }

    /** Whether {@code route} is a declared template after a base path (whole segments, maybe none). */
    boolean isDeclared(String route) {
        Map<String, Set<String>> byLast = templatesByLastSegment;
        if (byLast.isEmpty()) {
            return false;
        }
        Set<String> candidates = byLast.get(lastSegment(route));
        if (candidates == null) {
            return false;
        }
        for (String template : candidates) {
            if (route.endsWith(template)) {
                int base = route.length() - template.length();
                if (base == 0 || (route.charAt(0) == '/' && route.charAt(base - 1) != '/')) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String lastSegment(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Adds {@code templates} to the declared ones (several applications may share a sink). */
    @Override
    public synchronized void onDeclaredRoutes(Set<String> templates) {
        Map<String, Set<String>> next = new HashMap<>();
        templatesByLastSegment.forEach((k, v) -> next.put(k, new HashSet<>(v)));
        for (String t : templates) {
            if (t != null && t.startsWith("/") && t.length() > 1) {
                next.computeIfAbsent(lastSegment(t), k -> new HashSet<>()).add(t);
            }
        }
        Map<String, Set<String>> frozen = new HashMap<>();
        next.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
        templatesByLastSegment = Map.copyOf(frozen);
    }
}
