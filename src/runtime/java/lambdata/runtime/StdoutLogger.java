package lambdata.runtime;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.nio.charset.StandardCharsets;

/** LambdaLogger on stdout: each call is one line (newlines inside become carriage returns). */
final class StdoutLogger implements LambdaLogger {
    @Override
    public void log(String message) {
        String line = message == null ? "null" : message;
        if (line.endsWith("\n")) line = line.substring(0, line.length() - 1);
        System.out.println(line.replace('\n', '\r'));
    }

    @Override
    public void log(byte[] message) {
        log(new String(message, StandardCharsets.UTF_8));
    }
}
