/** The jobs' own error conditions; a failed job records the code of the error that ended it. */
import { LambdataError } from '../shared/errors.js';

/** A task ran out of attempts, or its stage stalled. */
export class TaskFailed extends LambdataError {
  constructor(message: string) {
    super('TaskFailed', message);
  }
}

/** A resumed job's plan differs from the plan its committed results belong to (e.g. the input changed). */
export class PlanChanged extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('JobPlanChanged', message, 409, options);
  }
}

/** The engine stopped while the job ran; the job can be resumed. */
export class JobInterrupted extends LambdataError {
  constructor() {
    super('JobInterrupted', 'the engine is stopping');
  }
}

/** A job's input matched no objects: nothing to run, so nothing runs (and nothing is billed). */
export class NoInputObjects extends LambdataError {
  constructor(message: string) {
    super('NoInputObjects', message, 400);
  }
}

/** A pipeline stage cannot be rerun: the job is no pipeline, the stage does not exist, or its input is not committed. */
export class StageNotRerunnable extends LambdataError {
  constructor(message: string) {
    super('StageNotRerunnable', message, 409);
  }
}
