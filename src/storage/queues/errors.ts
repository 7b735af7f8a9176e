import { LambdataError } from '../../shared/errors.js';

/** A queue error (400), coded with the SQS JSON protocol's error shape name (`QueueDoesNotExist`). */
export class QueueError extends LambdataError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, 400, options);
  }
}

/** The queue named does not exist. */
export class QueueDoesNotExist extends QueueError {
  constructor(name: string) {
    super('QueueDoesNotExist', `The specified queue does not exist: ${name}`);
  }
}

/** A queue of that name exists with different attributes. */
export class QueueNameExists extends QueueError {
  constructor(name: string) {
    super(
      'QueueNameExists',
      `A queue already exists with the same name and a different value for attribute(s): ${name}`,
    );
  }
}

/** A parameter is malformed or out of range. */
export class InvalidQueueParameter extends QueueError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidParameterValue', message, options);
  }
}

/** A required parameter is missing. */
export class MissingQueueParameter extends QueueError {
  constructor(message: string) {
    super('MissingParameter', message);
  }
}

/** An attribute name is not one SQS knows. */
export class InvalidAttributeName extends QueueError {
  constructor(name: string) {
    super('InvalidAttributeName', `Unknown Attribute ${name}.`);
  }
}

/** A receipt handle that lambdata never issued. */
export class ReceiptHandleIsInvalid extends QueueError {
  constructor(handle: string) {
    super('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
  }
}

/** ChangeMessageVisibility on a message that is not in flight. */
export class MessageNotInflight extends QueueError {
  constructor() {
    super('MessageNotInflight', 'The message referred to is not in flight.');
  }
}
