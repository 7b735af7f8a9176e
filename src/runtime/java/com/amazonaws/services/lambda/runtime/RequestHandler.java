package com.amazonaws.services.lambda.runtime;

/** A handler taking the event as an object of type I and returning its result as an O. */
public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
