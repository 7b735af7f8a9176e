package com.amazonaws.services.lambda.runtime;

/** What a Java handler knows about its invocation and environment (AWS's Lambda Java contract). */
public interface Context {
    String getAwsRequestId();

    String getLogGroupName();

    String getLogStreamName();

    String getFunctionName();

    String getFunctionVersion();

    String getInvokedFunctionArn();

    /** The Amazon Cognito identity of the caller, or null. */
    CognitoIdentity getIdentity();

    /** The client context a mobile SDK caller sent, or null. */
    ClientContext getClientContext();

    /** Milliseconds left before the invocation times out. */
    int getRemainingTimeInMillis();

    int getMemoryLimitInMB();

    LambdaLogger getLogger();
}
