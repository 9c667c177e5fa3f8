package dev.allocline.quarkus.runtime;

import java.util.concurrent.ConcurrentHashMap;
import org.jboss.resteasy.reactive.server.core.Deployment;
import org.jboss.resteasy.reactive.server.mapping.RuntimeResource;

/**
 * A matched method's route template with the application's base path ({@code /api/items/{id}}), made once
 * per method and kept: the number of entries is the number of resource methods. One per running application
 * ({@link RequestStart}'s), never static: its keys hold the application's classes. Any thread.
 */
final class RouteNames {

    private final ConcurrentHashMap<RuntimeResource, String> names = new ConcurrentHashMap<>();

    String route(Deployment deployment, RuntimeResource target) {
        String name = names.get(target);
        if (name == null) {
            name = names.computeIfAbsent(target, t -> name(deployment.getPrefix(), t));
        }
        return name;
    }

    private static String name(String prefix, RuntimeResource t) {
        String classPath = t.getClassPath() == null ? "" : t.getClassPath().template;
        String methodPath = t.getPath() == null ? "" : t.getPath().template;
        String joined = (prefix == null ? "" : prefix) + "/" + classPath + "/" + methodPath;
        String route = joined.replaceAll("/{2,}", "/");
        if (route.length() > 1 && route.endsWith("/")) {
            route = route.substring(0, route.length() - 1);
        }
        return route;
    }
}
