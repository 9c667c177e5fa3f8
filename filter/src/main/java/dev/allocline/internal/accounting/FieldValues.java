package dev.allocline.internal.accounting;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAccumulator;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * What an application field's value becomes on the line, decided once when it is put. The value is read
 * on the request thread and frozen there: the line is formatted later, maybe on a logging thread, and a
 * mutable value ({@code AtomicLong}, a builder) could have changed or be changing by then. Immutable JDK
 * numbers and booleans stay as they are (JSON layouts write them typed); the JDK's mutable numbers are read
 * into the immutable type of their value; any other {@code Number} becomes the exact decimal its
 * {@code toString()} prints when that is a number (a {@code BigDecimal}), else its {@code doubleValue()};
 * everything else becomes text, bounded. Idempotent: a frozen value freezes to itself. Any thread; not API.
 */
public final class FieldValues {

    private FieldValues() {
    }

    /** The value the line will carry for {@code value}; never throws. */
    public static Object of(Object value) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte
                || value instanceof Double || value instanceof Float || value instanceof Boolean
                || value instanceof BigDecimal || value instanceof BigInteger) {
            return value;
        }
        if (value instanceof Number) {
            Object n = number((Number) value);
            if (n != null) {
                return n;
            }
        }
        String s;
        try {
            s = String.valueOf(value);
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            s = "(toString failed: " + e.getClass().getName() + ")";
        }
        return s.length() > Request.MAX_VALUE_CHARS
                ? s.substring(0, Request.MAX_VALUE_CHARS) + "...[truncated]" : s;
    }

    /** A Number other than the immutable JDK ones, read now; null when reading it failed. */
    private static Object number(Number n) {
        try {
            if (n instanceof AtomicInteger) {
                return n.intValue();
            }
            if (n instanceof AtomicLong || n instanceof LongAdder || n instanceof LongAccumulator) {
                return n.longValue();
            }
            if (n instanceof DoubleAdder || n instanceof DoubleAccumulator) {
                return n.doubleValue();
            }
            String text = n.toString();
            if (text != null && text.length() <= 64) { // a longer "number" is text, bounded like any other
                try {
                    return new BigDecimal(text);
                } catch (NumberFormatException notANumber) {
                    // its own notation (units, words): fall back to its value
                }
            }
            return n.doubleValue();
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            return null; // written as text by the caller, which contains a failing toString() too
        }
    }
}
