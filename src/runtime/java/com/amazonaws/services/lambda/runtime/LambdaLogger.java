package com.amazonaws.services.lambda.runtime;

/** Writes to the function's log stream; each call is one log event. */
public interface LambdaLogger {
    void log(String message);

    void log(byte[] message);
}
