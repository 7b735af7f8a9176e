/** Errors of scale-out targets: each names the target and the resource, and says what to do. */
import { LambdataError } from '../shared/errors.js';

/** No credentials for a target could be found in the standard AWS chain (env, profile, SSO, instance role). */
export class TargetCredentialsMissing extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('CredentialsProviderError', message, 400, options);
  }
}

/** The target refused the request for lack of permission (IAM policy, role trust, wrong account). */
export class TargetAccessDenied extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('AccessDeniedException', message, 403, options);
  }
}

/** A function on a target did not become Active (or its update did not finish) in time. */
export class TargetFunctionNotReady extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ResourceNotReadyException', message, 502, options);
  }
}

/** A target's object store kept answering 503 SlowDown after every retry. */
export class TargetSlowDown extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('SlowDown', message, 503, options);
  }
}

/** A call to a target failed for a reason not covered above (the target's error is the `cause`). */
export class TargetRequestFailed extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('TargetRequestFailed', message, 502, options);
  }
}
