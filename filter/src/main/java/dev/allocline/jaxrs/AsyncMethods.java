package dev.allocline.jaxrs;

import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Configuration;
import jakarta.ws.rs.sse.SseEventSink;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;

/**
 * Whether a resource method may return before its request is answered, decided once per method at
 * deployment for the standard filters, which see no method return. Asked in three ways, each of which only
 * widens the answer:
 * <ol>
 * <li>the method's parameters: {@code @Suspended AsyncResponse}, {@code @Context SseEventSink};</li>
 * <li>its declared result: {@code Object} (a runtime inspects what comes back), a {@code CompletionStage},
 *     a {@code Future}, a {@code Flow.Publisher}, or a type whose hierarchy holds one of the reactive types
 *     runtimes complete later ({@link #LATER_TYPES}, by name, so that none of those libraries is needed); and
 *     the annotations that move a method to another thread ({@code @ManagedAsync});</li>
 * <li>the runtime's own registry, where it has one: RESTEasy answers {@code getAsyncResponseProvider(type)}
 *     and {@code getAsyncStreamProvider(type)} on the method's configuration, which is how Mutiny's
 *     {@code Uni}, RxJava's {@code Single}, Reactor's {@code Mono} or an application's own type reach it.</li>
 * </ol>
 * What none of these reveals is followed as synchronous; the core's rule ({@code ThreadWork}) then keeps the
 * worst case an under-count flagged {@code alloc_partial=thread_left}. Stateless; any thread.
 */
final class AsyncMethods {

    /**
     * Types whose values a Jakarta REST runtime (RESTEasy through its providers, CXF through its invokers,
     * Jersey, Quarkus) completes after the method returned, by fully qualified name.
     */
    static final Set<String> LATER_TYPES = Set.of(
            "org.reactivestreams.Publisher",
            "io.smallrye.mutiny.Uni", "io.smallrye.mutiny.Multi",
            "io.reactivex.SingleSource", "io.reactivex.MaybeSource", "io.reactivex.CompletableSource",
            "io.reactivex.ObservableSource",
            "io.reactivex.rxjava3.core.SingleSource", "io.reactivex.rxjava3.core.MaybeSource",
            "io.reactivex.rxjava3.core.CompletableSource", "io.reactivex.rxjava3.core.ObservableSource",
            "rx.Single", "rx.Observable", "rx.Completable",
            "io.vertx.core.Future", "io.vertx.mutiny.core.Promise",
            "kotlinx.coroutines.Deferred", "kotlinx.coroutines.flow.Flow",
            "org.glassfish.jersey.server.ChunkedOutput");

    /** Annotations that make a runtime run the method on a thread of its own, by name. */
    static final Set<String> ELSEWHERE_ANNOTATIONS = Set.of("org.glassfish.jersey.server.ManagedAsync");

    /** The registry methods of a runtime that completes registered result types later (RESTEasy's). */
    private static final String[] REGISTRY_METHODS = {"getAsyncResponseProvider", "getAsyncStreamProvider"};

    private AsyncMethods() {
    }

    /**
     * Whether {@code method} of {@code resource} may return before its request is answered.
     *
     * @param configuration the method's configuration as the runtime gives it to a {@code DynamicFeature}; may be null
     */
    static boolean mayAnswerLater(Class<?> resource, Method method, Configuration configuration) {
        if (method == null) {
            return false;
        }
        return byParameters(method) || byAnnotations(resource, method) || isLaterType(method.getReturnType())
                || byRegistry(method.getReturnType(), configuration);
    }

    static boolean byParameters(Method method) {
        for (Class<?> p : method.getParameterTypes()) {
            if (SseEventSink.class.isAssignableFrom(p)) {
                return true;
            }
        }
        for (Annotation[] annotations : method.getParameterAnnotations()) {
            for (Annotation a : annotations) {
                if (a.annotationType() == Suspended.class) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean byAnnotations(Class<?> resource, Method method) {
        for (Annotation a : method.getAnnotations()) {
            if (ELSEWHERE_ANNOTATIONS.contains(a.annotationType().getName())) {
                return true;
            }
        }
        if (resource != null) {
            for (Annotation a : resource.getAnnotations()) {
                if (ELSEWHERE_ANNOTATIONS.contains(a.annotationType().getName())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether a declared result of type {@code type} may be completed after the method returned. */
    static boolean isLaterType(Class<?> type) {
        if (type == Object.class || CompletionStage.class.isAssignableFrom(type) || Future.class.isAssignableFrom(type)
                || Flow.Publisher.class.isAssignableFrom(type)) {
            return true;
        }
        if (type.isPrimitive() || type.isArray() || type.getName().startsWith("java.")) {
            return false;
        }
        ArrayDeque<Class<?>> todo = new ArrayDeque<>();
        Set<Class<?>> seen = new HashSet<>();
        todo.add(type);
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (!seen.add(c)) {
                continue;
            }
            if (LATER_TYPES.contains(c.getName())) {
                return true;
            }
            if (c.getSuperclass() != null) {
                todo.add(c.getSuperclass());
            }
            for (Class<?> i : c.getInterfaces()) {
                todo.add(i);
            }
        }
        return false;
    }

    /**
     * Asks the runtime's registry, found by method name on the configuration it gave (RESTEasy's provider
     * factory is the configuration, and registers Mutiny's, RxJava's, Reactor's and the application's own
     * {@code AsyncResponseProvider}s there). Any failure means "not known", never an error.
     */
    static boolean byRegistry(Class<?> type, Configuration configuration) {
        if (configuration == null || type == void.class || type.isPrimitive()) {
            return false;
        }
        for (String name : REGISTRY_METHODS) {
            Method m = publicMethod(configuration.getClass(), name);
            if (m == null) {
                continue;
            }
            try {
                if (m.invoke(configuration, type) != null) {
                    return true;
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // not a registry we can ask: the other ways still apply
            }
        }
        return false;
    }

    /** {@code name(Class)} as declared by a public class of {@code type}'s hierarchy (an impl class may not be). */
    private static Method publicMethod(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (!Modifier.isPublic(c.getModifiers())) {
                continue;
            }
            try {
                Method m = c.getDeclaredMethod(name, Class.class);
                if (Modifier.isPublic(m.getModifiers())) {
                    return m;
                }
            } catch (NoSuchMethodException | SecurityException e) {
                // look further up
            }
        }
        return null;
    }
}
