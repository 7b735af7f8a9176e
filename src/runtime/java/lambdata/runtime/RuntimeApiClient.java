package lambdata.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/** The Lambda Runtime API (2018-06-01) at AWS_LAMBDA_RUNTIME_API, over HttpURLConnection (keep-alive). */
final class RuntimeApiClient {
    /** One invocation as /next hands it out. */
    record Invocation(
            String requestId,
            long deadlineMs,
            String functionArn,
            String traceId,
            String clientContext,
            String cognitoIdentity,
            byte[] payload) {}

    private final String base;

    RuntimeApiClient(String address) {
        this.base = "http://" + address + "/2018-06-01/runtime";
    }

    /** Waits for the next invocation. */
    Invocation next() throws IOException {
        HttpURLConnection http = open("/invocation/next", "GET");
        int status = http.getResponseCode();
        byte[] body = readAll(status < 400 ? http.getInputStream() : http.getErrorStream());
        if (status != 200) throw new IOException("Runtime API /next answered " + status + ": " + utf8(body));
        String deadline = http.getHeaderField("Lambda-Runtime-Deadline-Ms");
        return new Invocation(
                http.getHeaderField("Lambda-Runtime-Aws-Request-Id"),
                deadline == null ? Long.MAX_VALUE : Long.parseLong(deadline),
                http.getHeaderField("Lambda-Runtime-Invoked-Function-Arn"),
                http.getHeaderField("Lambda-Runtime-Trace-Id"),
                http.getHeaderField("Lambda-Runtime-Client-Context"),
                http.getHeaderField("Lambda-Runtime-Cognito-Identity"),
                body);
    }

    void respond(String requestId, byte[] result) throws IOException {
        post("/invocation/" + requestId + "/response", result, null);
    }

    void fail(String requestId, ErrorReport error) throws IOException {
        post("/invocation/" + requestId + "/error", error.json(), error.type());
    }

    void failInit(ErrorReport error) throws IOException {
        post("/init/error", error.json(), error.type());
    }

    private void post(String path, byte[] body, String errorType) throws IOException {
        HttpURLConnection http = open(path, "POST");
        // Not streamed: a buffered body goes out with its headers in one write, where streaming
        // would send it after them and wait out the engine's delayed ACK (Nagle), about 40 ms.
        http.setDoOutput(true);
        http.setRequestProperty("Content-Type", "application/json");
        if (errorType != null) http.setRequestProperty("Lambda-Runtime-Function-Error-Type", errorType);
        try (OutputStream out = http.getOutputStream()) {
            out.write(body);
        }
        int status = http.getResponseCode();
        InputStream answer = status < 400 ? http.getInputStream() : http.getErrorStream();
        byte[] reply = readAll(answer);
        if (status >= 400) System.err.println("Runtime API " + path + " answered " + status + ": " + utf8(reply));
    }

    private HttpURLConnection open(String path, String method) throws IOException {
        HttpURLConnection http = (HttpURLConnection) new URL(base + path).openConnection();
        http.setRequestMethod(method);
        http.setReadTimeout(0); // /next waits as long as the environment is idle
        return http;
    }

    /** Reads a body to its end, which also hands the connection back for reuse. */
    private static byte[] readAll(InputStream in) throws IOException {
        if (in == null) return new byte[0];
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
