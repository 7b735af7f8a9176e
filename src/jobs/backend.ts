/**
 * Where a job's tasks run and its objects live: the local engine, or a scale-out target (AWS
 * Lambda and S3). The engine's composition supplies the resolver; jobs never branch on the kind.
 */
import type { InvocationRecord, Invoker } from '../invoke/index.js';
import type { DeployTarget } from './builtins.js';
import type { ObjectSource } from './planner.js';

/** The backend of one target. */
export interface JobBackend {
  /** The target's name (`local` for this machine). */
  name: string;
  invoker: Invoker;
  objects: ObjectSource;
  /** Where built-in functions are deployed on first use. */
  functions: DeployTarget;
  /**
   * The priced record of a child invocation a cascade made, from the REPORT line of its Tail log
   * (`report`), for targets whose invocations this engine does not record itself; `failed` when the
   * child answered a function error (priced all the same: AWS bills failures).
   */
  childRecord?(
    functionName: string,
    trigger: string,
    report: string | undefined,
    failed: boolean,
  ): InvocationRecord | undefined;
}

/** Resolves a target name other than `local`. @throws ResourceNotFound for an unknown target. */
export type ResolveBackend = (target: string) => JobBackend;
