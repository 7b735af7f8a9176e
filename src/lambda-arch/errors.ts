import { LambdataError } from '../shared/errors.js';

/** No dataset by that name (404). */
export class DatasetNotFound extends LambdataError {
  constructor(name: string) {
    super('ResourceNotFoundException', `Dataset not found: ${name}`, 404);
  }
}

/** No view by that name (404). */
export class ViewNotFound extends LambdataError {
  constructor(name: string) {
    super('ResourceNotFoundException', `View not found: ${name}`, 404);
  }
}

/** A recompute of the view is already running (409). */
export class RecomputeRunning extends LambdataError {
  constructor(view: string, jobId: string | undefined) {
    super(
      'ResourceConflictException',
      `A recompute of view ${view} is already running (job ${jobId ?? 'starting'})`,
      409,
    );
  }
}

/** A write or delete of a master-dataset object other than by the archiver or the retention policy (403). */
export class MasterObjectImmutable extends LambdataError {
  constructor(bucket: string, key: string) {
    super(
      'AccessDenied',
      `Access Denied: ${bucket}/${key} belongs to a master dataset, which is append-only (only its retention policy deletes)`,
      403,
    );
  }
}

/** A view's sandboxed function failed as a whole on a batch (the batch is retried, 500). */
export class ViewFunctionFailed extends LambdataError {
  constructor(functionName: string, message: string) {
    super('ViewFunctionFailed', `View function ${functionName} failed: ${message}`, 500);
  }
}
