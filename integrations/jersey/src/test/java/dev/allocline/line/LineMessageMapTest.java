package dev.allocline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.line.LineMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.junit.jupiter.api.Test;

/**
 * The canonical line's message fills its map only when something reads it as a map: every way of
 * reading it must see all the fields, typed, from the first read on, from any thread.
 */
class LineMessageMapTest {

    private static CanonicalLine line() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("rows", 12000);
        fields.put("team", "a b");
        return LogfmtTest.withFields(LogfmtTest.lineWith("GET", "/r/1"), fields);
    }

    /** Every field the line has, as the map should hold it. */
    private static Map<String, Object> expected() {
        return CanonicalLineFormat.fields(line());
    }

    @Test
    void everyReaderOfTheMapSeesEveryFieldOnItsFirstRead() {
        Map<String, Object> want = expected();
        List<Function<LineMessage, Object>> readers = List.of(
                m -> new LinkedHashMap<>(m.getData()),
                m -> {
                    Map<String, Object> seen = new LinkedHashMap<>();
                    m.getIndexedReadOnlyStringMap().forEach((String k, Object v) -> seen.put(k, v));
                    return seen;
                },
                m -> {
                    Map<String, Object> seen = new LinkedHashMap<>();
                    m.forEach((String k, Object v) -> seen.put(k, v));
                    return seen;
                },
                m -> {
                    Map<String, Object> seen = new LinkedHashMap<>();
                    m.forEach((String k, Object v, Map<String, Object> s) -> s.put(k, v), seen);
                    return seen;
                },
                m -> m.get("alloc_bytes") + "|" + m.containsKey("rows") + "|" + m.getParameters().length);
        for (Function<LineMessage, Object> read : readers) {
            Object got = read.apply(LineFields.message(line()));
            if (got instanceof Map) {
                Map<?, ?> map = (Map<?, ?>) got;
                assertEquals(want.keySet(), map.keySet());
                assertEquals(4096L, ((Number) map.get("alloc_bytes")).longValue());
                assertEquals(12000, map.get("rows"));
                assertEquals("12.345ms", map.get("duration"));
            } else {
                assertEquals("4096|true|" + want.size(), got);
            }
        }
    }

    @Test
    void formatsThatComeFromTheMapHaveEveryField() {
        String json = LineFields.message(line()).getFormattedMessage(new String[] {"JSON"});
        assertTrue(json.contains("\"alloc_bytes\":4096") && json.contains("\"team\":\"a b\""), json);
        String xml = LineFields.message(line()).asString("XML");
        assertTrue(xml.contains("<Entry key=\"rows\">12000</Entry>"), xml);
        StringBuilder sb = new StringBuilder();
        LineFields.message(line()).formatTo(new String[] {"JAVA"}, sb);
        assertTrue(sb.toString().contains("request_id=\"0123456789abcdef0123456789abcdef\""), sb.toString());
        // The plain text never needs the map and is the logfmt line.
        assertEquals(CanonicalLineFormat.logfmt(line()), LineFields.message(line()).getFormattedMessage());
    }

    @Test
    void aWriteKeepsTheLinesFieldsAndEqualityComparesFilledMaps() {
        LineMessage a = LineFields.message(line());
        a.with("extra", 1L);
        assertEquals(expected().size() + 1, a.getData().size());
        assertEquals(LineFields.message(line()), LineFields.message(line()));
        assertEquals(LineFields.message(line()).hashCode(), LineFields.message(line()).hashCode());
    }

    @Test
    void aSerializedMessageCarriesItsFields() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(LineFields.message(line()));
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            MapMessage<?, ?> back = (MapMessage<?, ?>) in.readObject();
            assertEquals(expected().keySet(), back.getData().keySet());
            assertEquals("4096", back.get("alloc_bytes"));
        }
    }

    /**
     * Log4j2 set-ups that ship events to another process (socket, JMS appenders) serialize the message: what
     * arrives must print the same line, not throw when an appender asks for its text.
     */
    @Test
    void aSerializedMessagePrintsTheSameLine() throws Exception {
        for (LineMessage sent : List.of(LineFields.message(line()),
                new LineMessage("profile_generated_line", new LinkedHashMap<>(Map.of("request_id", "r-1"))))) {
            String text = sent.getFormattedMessage();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(sent);
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                LineMessage back = (LineMessage) in.readObject();
                assertEquals(text, back.getFormattedMessage());
                StringBuilder sb = new StringBuilder();
                back.formatTo(sb);
                assertEquals(text, sb.toString());
                assertEquals(text, back.toString());
                assertTrue(back.getFormattedMessage(new String[] {"JSON"}).contains("\"request_id\""),
                        back.getFormattedMessage(new String[] {"JSON"}));
            }
        }
    }

    @Test
    void aLogEventShippedWithItsMessagePrintsTheSameLine() throws Exception {
        LineMessage sent = LineFields.message(line());
        LogEvent event = Log4jLogEvent.newBuilder().setLoggerName("dev.allocline.canonical").setLevel(Level.INFO)
                .setMessage(sent).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(Log4jLogEvent.serialize(event, false));
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            LogEvent back = (LogEvent) in.readObject(); // the proxy resolves to the event
            assertTrue(back.getMessage() instanceof LineMessage, () -> back.getMessage().getClass().getName());
            assertEquals(CanonicalLineFormat.logfmt(line()), back.getMessage().getFormattedMessage());
        }
    }

    @Test
    void threadsReadingTheMapAtOnceAllSeeItWhole() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 200; round++) {
                LineMessage m = LineFields.message(line());
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> sizes = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    sizes.add(pool.submit(() -> {
                        go.await();
                        return m.getIndexedReadOnlyStringMap().size();
                    }));
                }
                go.countDown();
                for (Future<Integer> f : sizes) {
                    assertEquals(expected().size(), f.get());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Every method of {@code MapMessage} that reads or changes the map is overridden to fill it first;
     * a method a later Log4j2 adds would read an empty map and lose the line's fields in JSON layouts.
     * So every overridable method must be overridden, or be on this list of ones that never touch the
     * map, each with its reason.
     */
    @Test
    void everyMapMessageMethodThatCouldReadTheMapIsOverridden() {
        java.util.Map<String, String> touchNoMap = java.util.Map.of(
                "getFormat", "the format name, set once",
                "getFormats", "the format names, constant",
                "getThrowable", "always null for a map message",
                "toKey", "maps a key name, reads no entry",
                "validate", "checks a key and value before a put, reads no entry");
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (java.lang.reflect.Method m : org.apache.logging.log4j.message.MapMessage.class.getDeclaredMethods()) {
            int mod = m.getModifiers();
            if (java.lang.reflect.Modifier.isStatic(mod) || java.lang.reflect.Modifier.isPrivate(mod)
                    || java.lang.reflect.Modifier.isFinal(mod) || m.isSynthetic() || m.isBridge()
                    || touchNoMap.containsKey(m.getName())) {
                continue;
            }
            try {
                LineMessage.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(m.toString());
            }
        }
        assertEquals(java.util.List.of(), missing, "MapMessage methods LineMessage does not override");
    }
}
