package lambdata.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads a handler as AWS's Java runtime does: `package.Class::method` (any public method taking the
 * event and optionally a Context, or InputStream, OutputStream and optionally a Context), or
 * `package.Class` implementing RequestHandler or RequestStreamHandler. Classes come from the
 * package root (a fat jar unpacked, or classes at the root as AWS's zip layout has them),
 * `classes/`, `lib/*.jar` and any jar at the root.
 */
final class HandlerLoader {
    private HandlerLoader() {}

    /** Loads `handler` from the package at `root`. Throws LoadError in AWS's shape. */
    static Handler load(Path root, String handler) throws LoadError {
        if (handler == null || handler.isEmpty()) {
            throw new LoadError(ErrorReport.of("java.lang.IllegalArgumentException", "No handler specified (_HANDLER is empty)"));
        }
        int colons = handler.indexOf("::");
        String className = colons < 0 ? handler : handler.substring(0, colons);
        String methodName = colons < 0 ? null : handler.substring(colons + 2);
        ClassLoader loader = classLoaderOf(root);
        Thread.currentThread().setContextClassLoader(loader);
        Class<?> type;
        try {
            type = Class.forName(className, true, loader);
        } catch (ClassNotFoundException missing) {
            throw new LoadError(ErrorReport.of("java.lang.ClassNotFoundException", "Class not found: " + className));
        } catch (Throwable failed) {
            throw new LoadError(ErrorReport.of(failed)); // a static initializer threw, or a class it needs is missing
        }
        return methodName == null ? ofInterface(type) : ofMethod(type, methodName);
    }

    private static Handler ofInterface(Class<?> type) throws LoadError {
        if (RequestStreamHandler.class.isAssignableFrom(type)) {
            RequestStreamHandler target = (RequestStreamHandler) instanceOf(type);
            return (event, context) -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                target.handleRequest(new ByteArrayInputStream(event), out, context);
                return out.toByteArray();
            };
        }
        if (RequestHandler.class.isAssignableFrom(type)) {
            Object target = instanceOf(type);
            // The concrete handleRequest (not the erased bridge) names the input type to read.
            Method method = Arrays.stream(type.getMethods())
                    .filter(m -> m.getName().equals("handleRequest") && m.getParameterCount() == 2)
                    .filter(m -> m.getParameterTypes()[1] == Context.class)
                    .min(Comparator.comparing(Method::isBridge))
                    .orElseThrow();
            return typed(target, method);
        }
        throw new LoadError(ErrorReport.of("java.lang.NoSuchMethodException", "Class " + type.getName()
                + " does not implement RequestHandler or RequestStreamHandler; name a method as " + type.getName() + "::method"));
    }

    private static Handler ofMethod(Class<?> type, String name) throws LoadError {
        Method method = Arrays.stream(type.getMethods())
                .filter(m -> m.getName().equals(name) && !m.isBridge() && fits(m))
                .max(Comparator.comparingInt(HandlerLoader::preference))
                .orElseThrow(() -> new LoadError(ErrorReport.of("java.lang.NoSuchMethodException", "No public method named "
                        + name + " with appropriate method signature found on class " + type.getName())));
        Object target = Modifier.isStatic(method.getModifiers()) ? null : instanceOf(type);
        if (isStream(method)) {
            boolean withContext = method.getParameterCount() == 3;
            return (event, context) -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                InputStream in = new ByteArrayInputStream(event);
                method.invoke(target, withContext ? new Object[] {in, out, context} : new Object[] {in, out});
                return out.toByteArray();
            };
        }
        return typed(target, method);
    }

    /** A handler taking the event as a value (Map, List, String, Number, Boolean) and returning one. */
    private static Handler typed(Object target, Method method) {
        Class<?>[] params = method.getParameterTypes();
        return (event, context) -> {
            Object[] args = new Object[params.length];
            if (params.length > 0 && params[0] != Context.class) args[0] = Events.read(event, params[0]);
            if (params.length > 0 && params[params.length - 1] == Context.class) args[params.length - 1] = context;
            Object result = method.invoke(target, args);
            return Events.write(method.getReturnType() == void.class ? null : result);
        };
    }

    private static boolean fits(Method method) {
        Class<?>[] p = method.getParameterTypes();
        if (isStream(method)) return true;
        return switch (p.length) {
            case 0 -> true;
            case 1 -> true;
            case 2 -> p[1] == Context.class;
            default -> false;
        };
    }

    private static boolean isStream(Method method) {
        Class<?>[] p = method.getParameterTypes();
        return (p.length == 2 || p.length == 3)
                && p[0] == InputStream.class
                && p[1] == OutputStream.class
                && (p.length == 2 || p[2] == Context.class);
    }

    /** Among overloads, AWS prefers the stream form, then the one taking the most arguments. */
    private static int preference(Method method) {
        return (isStream(method) ? 10 : 0) + method.getParameterCount();
    }

    private static Object instanceOf(Class<?> type) throws LoadError {
        try {
            Constructor<?> constructor = type.getConstructor();
            return constructor.newInstance();
        } catch (NoSuchMethodException missing) {
            throw new LoadError(ErrorReport.of("java.lang.NoSuchMethodException",
                    "Class " + type.getName() + " has no public constructor without arguments"));
        } catch (ReflectiveOperationException | RuntimeException | Error failed) {
            throw new LoadError(ErrorReport.of(failed));
        }
    }

    private static ClassLoader classLoaderOf(Path root) throws LoadError {
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(root.toUri().toURL());
            Path classes = root.resolve("classes");
            if (Files.isDirectory(classes)) urls.add(classes.toUri().toURL());
            for (Path dir : new Path[] {root.resolve("lib"), root}) {
                if (!Files.isDirectory(dir)) continue;
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path jar : files.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                        urls.add(jar.toUri().toURL());
                    }
                }
            }
        } catch (IOException unreadable) {
            throw new LoadError(ErrorReport.of(unreadable));
        }
        return new URLClassLoader(urls.toArray(new URL[0]), HandlerLoader.class.getClassLoader());
    }
}
