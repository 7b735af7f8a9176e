package lambdata.runtime;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * lambdata's Java runtime (java17, java21): loads the handler named by _HANDLER from
 * LAMBDA_TASK_ROOT, then serves invocations from the Lambda Runtime API one at a time.
 */
public final class Bootstrap {
    private Bootstrap() {}

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        noteOlderJava(env.get("AWS_EXECUTION_ENV"));
        RuntimeApiClient api = new RuntimeApiClient(env.get("AWS_LAMBDA_RUNTIME_API"));
        LambdaLogger logger = new StdoutLogger();
        Handler handler;
        try {
            handler = HandlerLoader.load(Path.of(env.getOrDefault("LAMBDA_TASK_ROOT", "/var/task")), env.get("_HANDLER"));
        } catch (LoadError failed) {
            report(failed.report);
            post(() -> api.failInit(failed.report));
            System.exit(1);
            return;
        }
        while (true) {
            RuntimeApiClient.Invocation invocation;
            try {
                invocation = api.next();
            } catch (IOException gone) {
                System.exit(0); // the engine closed the environment
                return;
            }
            serve(api, handler, invocation, new InvocationContext(invocation, env, logger));
        }
    }

    private static void serve(RuntimeApiClient api, Handler handler, RuntimeApiClient.Invocation invocation,
            InvocationContext context) {
        if (invocation.traceId() != null) System.setProperty("com.amazonaws.xray.traceHeader", invocation.traceId());
        byte[] result;
        try {
            result = handler.invoke(invocation.payload(), context);
        } catch (Throwable thrown) {
            ErrorReport error = ErrorReport.of(thrown);
            report(error);
            post(() -> api.fail(invocation.requestId(), error));
            return;
        }
        flush();
        post(() -> api.respond(invocation.requestId(), result));
    }

    /** Says so in the log when the function asked for a newer Java (java21) than the machine's JDK. */
    private static void noteOlderJava(String executionEnv) {
        if (executionEnv == null || !executionEnv.startsWith("AWS_Lambda_java")) return;
        try {
            int wanted = Integer.parseInt(executionEnv.substring("AWS_Lambda_java".length()));
            int running = Runtime.version().feature();
            if (running < wanted) {
                System.err.println("lambdata: runtime java" + wanted + " runs on this machine's Java " + running
                        + "; classes compiled for a newer Java fail with UnsupportedClassVersionError");
            }
        } catch (NumberFormatException unknown) {
            // not one of ours (java17, java21): nothing to compare
        }
    }

    /** Writes a failure to the log as one line of JSON, as the runtime's own log entry. */
    private static void report(ErrorReport error) {
        System.err.println(new String(error.json(), StandardCharsets.UTF_8));
        flush();
    }

    private static void flush() {
        System.out.flush();
        System.err.flush();
    }

    private interface Post {
        void run() throws IOException;
    }

    private static void post(Post post) {
        try {
            post.run();
        } catch (IOException gone) {
            System.exit(0); // the engine closed the environment mid-answer
        }
    }
}
