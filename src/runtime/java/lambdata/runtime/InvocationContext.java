package lambdata.runtime;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.util.LinkedHashMap;
import java.util.Map;

/** The Context of one invocation, from the Runtime API's headers and the environment's variables. */
final class InvocationContext implements Context {
    private final RuntimeApiClient.Invocation invocation;
    private final Map<String, String> env;
    private final LambdaLogger logger;

    InvocationContext(RuntimeApiClient.Invocation invocation, Map<String, String> env, LambdaLogger logger) {
        this.invocation = invocation;
        this.env = env;
        this.logger = logger;
    }

    @Override
    public String getAwsRequestId() {
        return invocation.requestId();
    }

    @Override
    public String getLogGroupName() {
        return env.get("AWS_LAMBDA_LOG_GROUP_NAME");
    }

    @Override
    public String getLogStreamName() {
        return env.get("AWS_LAMBDA_LOG_STREAM_NAME");
    }

    @Override
    public String getFunctionName() {
        return env.get("AWS_LAMBDA_FUNCTION_NAME");
    }

    @Override
    public String getFunctionVersion() {
        return env.get("AWS_LAMBDA_FUNCTION_VERSION");
    }

    @Override
    public String getInvokedFunctionArn() {
        return invocation.functionArn();
    }

    @Override
    public CognitoIdentity getIdentity() {
        Map<String, Object> identity = objectOf(invocation.cognitoIdentity());
        if (identity == null) return null;
        String id = stringOf(identity.get("cognitoIdentityId"));
        String pool = stringOf(identity.get("cognitoIdentityPoolId"));
        return new CognitoIdentity() {
            @Override
            public String getIdentityId() {
                return id;
            }

            @Override
            public String getIdentityPoolId() {
                return pool;
            }
        };
    }

    @Override
    public ClientContext getClientContext() {
        Map<String, Object> context = objectOf(invocation.clientContext());
        if (context == null) return null;
        Map<String, Object> client = objectOf(context.get("client"));
        Map<String, String> custom = stringsOf(context.get("custom"));
        Map<String, String> environment = stringsOf(context.get("env"));
        Client app = client == null ? null : new Client() {
            @Override
            public String getInstallationId() {
                return stringOf(client.get("installation_id"));
            }

            @Override
            public String getAppTitle() {
                return stringOf(client.get("app_title"));
            }

            @Override
            public String getAppVersionName() {
                return stringOf(client.get("app_version_name"));
            }

            @Override
            public String getAppVersionCode() {
                return stringOf(client.get("app_version_code"));
            }

            @Override
            public String getAppPackageName() {
                return stringOf(client.get("app_package_name"));
            }
        };
        return new ClientContext() {
            @Override
            public Client getClient() {
                return app;
            }

            @Override
            public Map<String, String> getCustom() {
                return custom;
            }

            @Override
            public Map<String, String> getEnvironment() {
                return environment;
            }
        };
    }

    @Override
    public int getRemainingTimeInMillis() {
        long left = invocation.deadlineMs() - System.currentTimeMillis();
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int getMemoryLimitInMB() {
        String memory = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        return memory == null ? 0 : Integer.parseInt(memory);
    }

    @Override
    public LambdaLogger getLogger() {
        return logger;
    }

    /** A JSON object given as text (a header) or already parsed, or null when absent or malformed. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> objectOf(Object value) {
        if (value instanceof Map<?, ?> map) return (Map<String, Object>) map;
        if (!(value instanceof String text) || text.isEmpty()) return null;
        try {
            Object parsed = Json.parse(text);
            return parsed instanceof Map<?, ?> ? (Map<String, Object>) parsed : null;
        } catch (IllegalArgumentException malformed) {
            return null;
        }
    }

    private static Map<String, String> stringsOf(Object value) {
        Map<String, Object> map = objectOf(value);
        if (map == null) return null;
        Map<String, String> strings = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : map.entrySet()) strings.put(entry.getKey(), stringOf(entry.getValue()));
        return strings;
    }

    private static String stringOf(Object value) {
        return value == null ? null : value.toString();
    }
}
