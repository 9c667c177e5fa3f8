package dev.allocline.internal.profile;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Renders a request's allocation samples as a self-contained HTML flame graph with async-profiler's
 * converter ({@code tools.profiler:jfr-converter}, Apache-2.0), an optional dependency: it is found by
 * name at run time, and without it {@link #UNAVAILABLE} says so and nothing else changes. Its options
 * are {@code --alloc --total}: frame widths are the samples' summed {@code weight} (bytes), not their
 * count. The converter's jar has a class in the unnamed package, so it can never be a module; it is
 * reached by reflection only. Runs on the profile thread (and tests). Not API.
 */
public final class FlameGraphs {

    private static final Converter CONVERTER = Converter.find();

    /** Why no flame graph can be drawn here ({@code no_jfr_converter}), or null when it can. */
    public static final String UNAVAILABLE = CONVERTER == null ? "no_jfr_converter" : null;

    private FlameGraphs() {
    }

    /** Renders every allocation sample of {@code requestRecording} (already only the request's). */
    public static void render(Path requestRecording, Path html, String title) throws IOException {
        converter().invoke(c -> c.jfrToFlame.invoke(null, requestRecording.toString(), html.toString(),
                c.arguments(title)));
    }

    /**
     * Renders the samples of {@code full} that {@code request} accepts: for JDKs without
     * {@code RecordingFile.write}, where no request recording exists to convert. The same stacks go through
     * the converter's own {@code FlameGraph}, so the page is the same as {@link #render}'s.
     */
    public static void render(Path full, Predicate<RecordedEvent> request, Path html, String title) throws IOException {
        Converter c = converter();
        c.invoke(x -> {
            Object graph = c.flameGraph.newInstance(c.arguments(title));
            try (RecordingFile file = new RecordingFile(full)) {
                while (file.hasMoreEvents()) {
                    RecordedEvent e = file.readEvent();
                    if ("jdk.ObjectAllocationSample".equals(e.getEventType().getName()) && request.test(e)) {
                        c.addSample.invoke(graph, c.stack(e), e.getLong("weight"));
                    }
                }
            }
            try (OutputStream out = Files.newOutputStream(html);
                 PrintStream ps = new PrintStream(out, false, StandardCharsets.UTF_8)) {
                c.dump.invoke(graph, ps);
            }
            return null;
        });
    }

    /**
     * A flame graph filled one sample at a time, for a reader that decides per sample while streaming a
     * recording once (the on-call command): what it keeps is the converter's tree of distinct stacks, not the
     * samples. The same page as {@link #render}'s. Single-threaded.
     */
    public static final class Graph {
        private final Converter c = converter();
        private final Object graph;

        private Graph(String title) throws IOException {
            Object[] made = new Object[1];
            c.invoke(x -> made[0] = x.flameGraph.newInstance(x.arguments(title)));
            graph = made[0];
        }

        /** Adds one allocation sample: its stack (null when it has none), the allocated class, its weight. */
        public void add(RecordedStackTrace stack, String objectClass, long weight) throws IOException {
            c.invoke(x -> x.addSample.invoke(graph, x.stack(stack, objectClass), weight));
        }

        /** Writes the page. */
        public void write(Path html) throws IOException {
            c.invoke(x -> {
                try (OutputStream out = Files.newOutputStream(html);
                     PrintStream ps = new PrintStream(out, false, StandardCharsets.UTF_8)) {
                    x.dump.invoke(graph, ps);
                }
                return null;
            });
        }
    }

    /** A graph to fill sample by sample; throws {@link IllegalStateException} when {@link #UNAVAILABLE}. */
    public static Graph graph(String title) throws IOException {
        return new Graph(title);
    }

    private static Converter converter() {
        if (CONVERTER == null) {
            throw new IllegalStateException("tools.profiler:jfr-converter is not on the class path");
        }
        return CONVERTER;
    }

    /** The converter's entry points, looked up once. */
    private record Converter(Constructor<?> newArguments, Method jfrToFlame, Constructor<?> flameGraph,
                             Constructor<?> newStack, Method push, Method addSample, Method dump) {

        static Converter find() {
            try {
                ClassLoader loader = FlameGraphs.class.getClassLoader();
                Class<?> arguments = Class.forName("one.convert.Arguments", false, loader);
                Class<?> stack = Class.forName("one.convert.CallStack", false, loader);
                Class<?> graph = Class.forName("one.convert.FlameGraph", false, loader);
                return new Converter(arguments.getConstructor(String[].class),
                        Class.forName("one.convert.JfrToFlame", false, loader)
                                .getMethod("convert", String.class, String.class, arguments),
                        graph.getConstructor(arguments), stack.getConstructor(),
                        stack.getMethod("push", String.class, byte.class),
                        graph.getMethod("addSample", stack, long.class), graph.getMethod("dump", PrintStream.class));
            } catch (ClassNotFoundException | NoSuchMethodException | LinkageError e) {
                return null; // absent, or a version with another API: say unavailable rather than fail later
            }
        }

        Object arguments(String title) throws ReflectiveOperationException {
            // --dot: dev.allocline.X.m as in a stack trace, not dev/allocline/X.m
            return newArguments.newInstance((Object) new String[] {"--alloc", "--total", "--dot", "--title", title});
        }

        /** The sample's stack root first, then the allocated class on top, as the converter draws JFR files. */
        Object stack(RecordedEvent e) throws ReflectiveOperationException {
            return stack(e.getStackTrace(), e.getClass("objectClass").getName());
        }

        Object stack(RecordedStackTrace st, String objectClass) throws ReflectiveOperationException {
            Object s = newStack.newInstance();
            List<RecordedFrame> frames = st == null ? List.of() : st.getFrames();
            for (int i = frames.size() - 1; i >= 0; i--) {
                RecordedFrame f = frames.get(i);
                push.invoke(s, f.getMethod().getType().getName() + "." + f.getMethod().getName(), type(f));
            }
            push.invoke(s, objectClass, (byte) 2);
            return s;
        }

        /** The converter's frame types (its {@code Frame.TYPE_*}): they colour the frame. */
        private static byte type(RecordedFrame f) {
            switch (f.getType()) {
                case "Interpreted":
                    return 0;
                case "Inlined":
                    return 2;
                case "Native":
                    return 3;
                default:
                    return 1; // JIT compiled
            }
        }

        void invoke(Step step) throws IOException {
            try {
                step.run(this);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException("jfr-converter failed: " + cause, cause);
            } catch (ReflectiveOperationException e) {
                throw new IOException("jfr-converter could not be called: " + e, e);
            }
        }
    }

    @FunctionalInterface
    private interface Step {
        Object run(Converter c) throws ReflectiveOperationException, IOException;
    }
}
