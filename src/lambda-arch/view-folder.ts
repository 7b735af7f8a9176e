/**
 * How the speed layer folds a batch of events into a view's `[key, bucket, state]` tuples. A
 * built-in view (trusted engine code) folds in the engine's process; a user's view folds in its
 * `view-NAME-speed` function, a sandboxed environment kept warm between batches like any other, so
 * user code never runs in the engine. The engine then merges the tuples with the view's built-in
 * monoid inside the archive transaction.
 */
import type { Invoker } from '../invoke/index.js';
import { InvalidParameterValue } from '../shared/errors.js';
import { ViewFunctionFailed } from './errors.js';
import { monoidByName } from './monoids.js';
import {
  foldEvents,
  GRANULARITIES,
  type Granularity,
  type ResolvedView,
  type TimedEvent,
  type ViewFold,
  type ViewShape,
} from './view-module.js';

/** Folds batches of events for one view. */
export interface ViewFolder {
  fold(events: TimedEvent[]): Promise<ViewFold>;
}

/** What a user view's function says of itself (see functions/lib/view-job.ts `viewSpeed`). */
interface ViewDescription {
  name: string;
  granularity: string;
  monoid: string;
  builtinMonoid: boolean;
}

/** A synchronous invocation payload stays under Lambda's 6 MB limit with room for the envelope. */
const MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;

/** A built-in view's folder: its code runs in the engine. */
export function inProcessFolder(view: ResolvedView): ViewFolder {
  return { fold: async (events) => foldEvents(view, events) };
}

/**
 * A user view's folder: each batch (split to fit a payload) is one synchronous invocation of its
 * speed function; the parts' tuples are merged with the built-in monoid.
 */
export function sandboxedFolder(invoker: Invoker, functionName: string, shape: ViewShape): ViewFolder {
  return {
    fold: async (events) => {
      const merged = new Map<string, [string, number, unknown]>();
      let errors = 0;
      let last: string | undefined;
      for (const payload of payloads(events)) {
        const part = (await invokeView(invoker, functionName, payload)) as ViewFold;
        if (!Array.isArray(part?.tuples)) throw new ViewFunctionFailed(functionName, 'its answer has no tuples');
        errors += part.errors ?? 0;
        if (part.last !== undefined) last = part.last;
        for (const [key, bucket, state] of part.tuples) {
          const id = `${bucket}\0${key}`;
          const entry = merged.get(id);
          if (entry) entry[2] = shape.monoid.merge(entry[2], state);
          else merged.set(id, [String(key), Number(bucket), state]);
        }
      }
      return { tuples: [...merged.values()], errors, ...(last !== undefined ? { last } : {}) };
    },
  };
}

/**
 * Asks a user view's speed function for the view's name, granularity and monoid: the engine keeps
 * these instead of loading the module. @throws InvalidParameterValue when the module is not a view,
 * or names a monoid that is not built in
 */
export async function describeView(invoker: Invoker, functionName: string): Promise<ViewShape> {
  let description: ViewDescription;
  try {
    description = (await invokeView(invoker, functionName, '{"describe":true}')) as ViewDescription;
  } catch (err) {
    throw new InvalidParameterValue(`the view module does not load: ${(err as Error).message}`, { cause: err });
  }
  return shapeOf(description);
}

/** A stored description as the engine uses it. @throws InvalidParameterValue */
export function shapeOf(description: {
  name: string;
  granularity: string;
  monoid: string;
  builtinMonoid?: boolean;
}): ViewShape {
  if (description.builtinMonoid === false)
    throw new InvalidParameterValue(
      `view ${description.name}: monoid must name a built-in monoid (the engine merges states, and runs no user code)`,
    );
  if (!(description.granularity in GRANULARITIES))
    throw new InvalidParameterValue(`view ${description.name}: unknown granularity ${description.granularity}`);
  let monoid: ViewShape['monoid'];
  try {
    monoid = monoidByName(description.monoid);
  } catch (err) {
    throw new InvalidParameterValue(`view ${description.name}: ${(err as Error).message}`, { cause: err });
  }
  const granularity = description.granularity as Granularity;
  return { name: description.name, granularity, width: GRANULARITIES[granularity], monoid };
}

async function invokeView(invoker: Invoker, functionName: string, payload: string): Promise<unknown> {
  const result = await invoker.invoke({ functionName, payload, trigger: `view:${functionName}` });
  const text = result.payload.toString('utf8');
  if (result.functionError) {
    let message = text;
    try {
      const error = JSON.parse(text) as { errorType?: string; errorMessage?: string };
      message = `${error.errorType ?? 'Error'}: ${error.errorMessage ?? ''}`;
    } catch {
      // Not an error document: report the payload as it is.
    }
    throw new ViewFunctionFailed(functionName, message);
  }
  return JSON.parse(text);
}

/** The events as speed requests of at most MAX_PAYLOAD_BYTES each (one event always fits alone). */
function* payloads(events: TimedEvent[]): Generator<string> {
  let parts: string[] = [];
  let bytes = 0;
  for (const event of events) {
    const text = JSON.stringify(event);
    if (parts.length > 0 && bytes + text.length > MAX_PAYLOAD_BYTES) {
      yield `{"events":[${parts.join(',')}]}`;
      parts = [];
      bytes = 0;
    }
    parts.push(text);
    bytes += text.length + 1;
  }
  if (parts.length > 0) yield `{"events":[${parts.join(',')}]}`;
}
