package lambdata.runtime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An exception as AWS's Java runtime reports it: errorMessage, errorType (the exception's class),
 * stackTrace (one "Class.method(File.java:line)" string per frame) and its cause, nested the same way.
 */
record ErrorReport(String type, Map<String, Object> shape) {
    /** The report of a throwable, reflective wrappers (InvocationTargetException …) unwrapped. */
    static ErrorReport of(Throwable thrown) {
        Throwable error = unwrap(thrown);
        return new ErrorReport(error.getClass().getName(), shapeOf(error, 0));
    }

    /** A report of the runtime's own making (no stack trace). */
    static ErrorReport of(String type, String message) {
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("errorMessage", message);
        shape.put("errorType", type);
        return new ErrorReport(type, shape);
    }

    byte[] json() {
        return Json.write(shape).getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, Object> shapeOf(Throwable error, int depth) {
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("errorMessage", error.getMessage() == null ? "" : error.getMessage());
        shape.put("errorType", error.getClass().getName());
        List<String> frames = new ArrayList<>();
        for (StackTraceElement frame : error.getStackTrace()) {
            if (isRuntimeFrame(frame.getClassName())) continue;
            String file = frame.getFileName() == null ? "Unknown Source" : frame.getFileName();
            String line = frame.getLineNumber() >= 0 ? ":" + frame.getLineNumber() : "";
            frames.add(frame.getClassName() + "." + frame.getMethodName() + "(" + file + line + ")");
        }
        shape.put("stackTrace", frames);
        Throwable cause = error.getCause();
        if (cause != null && cause != error && depth < 8) shape.put("cause", shapeOf(cause, depth + 1));
        return shape;
    }

    /** Frames of this runtime and of reflection, which AWS's reports leave out too. */
    private static boolean isRuntimeFrame(String className) {
        return className.startsWith("lambdata.runtime.")
                || className.startsWith("jdk.internal.reflect.")
                || className.startsWith("java.lang.reflect.");
    }

    private static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof java.lang.reflect.InvocationTargetException
                        || current instanceof ExceptionInInitializerError)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
