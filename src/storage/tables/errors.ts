import { LambdataError } from '../../shared/errors.js';
import type { CancellationReason } from './types.js';

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

/** A transaction was cancelled; `reasons` hold one entry per item, in request order. */
export class TransactionCanceled extends LambdataError {
  constructor(readonly reasons: CancellationReason[]) {
    super(
      'TransactionCanceledException',
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.code).join(', ')}]`,
      400,
    );
  }
}

/** A ClientRequestToken was reused within its 10 minutes with a different request. */
export class IdempotentParameterMismatch extends LambdataError {
  constructor(message: string) {
    super('IdempotentParameterMismatchException', message, 400);
  }
}

/** A PartiQL INSERT found an item with the same key (DynamoDB DuplicateItemException). */
export class DuplicateItem extends LambdataError {
  constructor(message = 'Duplicate primary key exists in table') {
    super('DuplicateItemException', message, 400);
  }
}
