/**
 * Errors carry a stable code (the AWS error name where AWS has one) and an HTTP status, so the
 * wire adapters map them without tables of strings. Branch on `err.code`, never on message text.
 */
export class LambdataError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request parameter is malformed or out of range. */
export class InvalidParameterValue extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidParameterValueException', message, 400, options);
  }
}

/** The request body is not valid JSON or not of the expected shape. */
export class InvalidRequestContent extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidRequestContentException', message, 400, options);
  }
}

/** A named resource (function, version, stream, queue, table, job …) does not exist. */
export class ResourceNotFound extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ResourceNotFoundException', message, 404, options);
  }
}

/** A resource with that name already exists. */
export class ResourceConflict extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ResourceConflictException', message, 409, options);
  }
}

/** A payload or package is over its limit. */
export class RequestTooLarge extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('RequestTooLargeException', message, 413, options);
  }
}

/** Concurrency (account or reserved) is exhausted. */
export class TooManyRequests extends LambdataError {
  constructor(
    message: string,
    readonly reason = 'ConcurrentInvocationLimitExceeded',
    options?: ErrorOptions,
  ) {
    super('TooManyRequestsException', message, 429, options);
  }
}

/** A request body of a media type the route does not take. */
export class UnsupportedMediaType extends LambdataError {
  constructor(message: string) {
    super('UnsupportedMediaTypeException', message, 415);
  }
}

/** Credentials are missing or wrong. */
export class AccessDenied extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('AccessDeniedException', message, 403, options);
  }
}

/** A request needs the server's token (or an AWS signature) and carries neither. */
export class Unauthorized extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('Unauthorized', message, 401, options);
  }
}

/** The server cannot listen on its address (port in use, bind refused). */
export class ListenFailed extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ListenFailed', message, 500, options);
  }
}

/** True when `err` is a LambdataError with the given code. */
export function hasCode(err: unknown, code: string): err is LambdataError {
  return err instanceof LambdataError && err.code === code;
}
