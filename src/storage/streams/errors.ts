import { LambdataError } from '../../shared/errors.js';

/** The stream exists already, or is in a state that forbids the call (Kinesis ResourceInUseException). */
export class StreamInUse extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ResourceInUseException', message, 400, options);
  }
}

/** A stream argument is invalid (Kinesis InvalidArgumentException). */
export class InvalidStreamArgument extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidArgumentException', message, 400, options);
  }
}
