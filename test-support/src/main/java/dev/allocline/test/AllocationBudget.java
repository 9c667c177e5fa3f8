package dev.allocline.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The most one request to {@link #route()} may allocate, for every test of the annotated class. Checked by
 * {@link AllocationBudgets} after each test, against the lines of the requests that test sent.
 *
 * <pre>{@code
 * @AllocationBudget(route = "/queries", bytes = 8 << 20)
 * @AllocationBudget(route = "/clusters/{cluster_id}/databases", bytes = 2 << 20)
 * class QueriesTest extends JerseyTest { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(AllocationBudget.List.class)
public @interface AllocationBudget {

    /** The route template as on the line ({@code http_route}), e.g. {@code /clusters/{cluster_id}/databases}. */
    String route();

    /** The budget in bytes: a request allocating more fails the test. */
    long bytes();

    /** Holds repeated budgets. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface List {
        AllocationBudget[] value();
    }
}
