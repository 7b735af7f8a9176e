import { LambdataError } from '../../shared/errors.js';

/** A topic error, coded with SNS's error name (`NotFound`, `InvalidParameter` …). */
export class TopicError extends LambdataError {}

/** The topic, subscription or endpoint named does not exist. */
export class TopicNotFound extends TopicError {
  constructor(message: string) {
    super('NotFound', message, 404);
  }
}

/** A parameter is missing, malformed or out of range (SNS names them all InvalidParameter). */
export class InvalidTopicParameter extends TopicError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidParameter', message, 400, options);
  }
}

/** A parameter value breaks SNS's rules for it (message attributes, FIFO settings). */
export class InvalidTopicParameterValue extends TopicError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidParameterValue', message, 400, options);
  }
}
