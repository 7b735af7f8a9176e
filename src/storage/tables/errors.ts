import { LambdataError } from '../../shared/errors.js';

/** A request or expression is invalid (DynamoDB ValidationException). */
export class ValidationError extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ValidationException', message, 400, options);
  }
}

/** A ConditionExpression evaluated to false; `item` is the existing item when asked for. */
export class ConditionalCheckFailed extends LambdataError {
  constructor(
    message = 'The conditional request failed',
    readonly item?: Record<string, unknown>,
  ) {
    super('ConditionalCheckFailedException', message, 400);
  }
}

/** The table exists already (DynamoDB ResourceInUseException). */
export class TableInUse extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ResourceInUseException', message, 400, options);
  }
}
