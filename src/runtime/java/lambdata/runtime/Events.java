package lambdata.runtime;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/** Events and results as JSON: the value types a handler may take and return without a JSON library. */
final class Events {
    private Events() {}

    /** The event as `type`. Throws IllegalArgumentException when it cannot be one. */
    static Object read(byte[] event, Class<?> type) {
        Object value = Json.parse(new String(event, StandardCharsets.UTF_8));
        if (value == null) {
            if (type.isPrimitive()) throw new IllegalArgumentException("the event is null, which a " + type + " cannot hold");
            return null;
        }
        Class<?> boxed = boxed(type);
        if (boxed.isInstance(value)) return value;
        if (value instanceof Number number) {
            if (boxed == Integer.class) return number.intValue();
            if (boxed == Long.class) return number.longValue();
            if (boxed == Double.class) return number.doubleValue();
            if (boxed == Float.class) return number.floatValue();
            if (boxed == Short.class) return number.shortValue();
            if (boxed == Byte.class) return number.byteValue();
            if (boxed == BigDecimal.class) return new BigDecimal(number.toString());
            if (boxed == BigInteger.class) return new BigDecimal(number.toString()).toBigInteger();
        }
        throw new IllegalArgumentException("cannot read the event (" + value.getClass().getSimpleName() + ") as "
                + type.getName() + ": take a Map, List, String, Number or Boolean, or use a RequestStreamHandler");
    }

    /** The result as JSON bytes. Throws IllegalArgumentException for a type it cannot write. */
    static byte[] write(Object result) {
        return Json.write(result).getBytes(StandardCharsets.UTF_8);
    }

    private static Class<?> boxed(Class<?> type) {
        if (!type.isPrimitive()) return type;
        if (type == int.class) return Integer.class;
        if (type == long.class) return Long.class;
        if (type == double.class) return Double.class;
        if (type == float.class) return Float.class;
        if (type == boolean.class) return Boolean.class;
        if (type == short.class) return Short.class;
        if (type == byte.class) return Byte.class;
        return Character.class;
    }
}
