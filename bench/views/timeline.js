// The timeline of one recompute, from what a client can see: the view's SSE phases (`started` once
// its job is submitted, `swapped`), the job's stored events (listing, plan, each task's dispatch and
// end with its bytes, completion) and the invocation records of its cascade and mappers (start, init,
// duration). Times are ms since the client's POST; serve runs on the same machine, so its epoch
// clock is the client's.
import { native } from './lib.js';

/** Opens the views SSE stream; answers { next(predicate) → the first later event matching, close() }. */
export async function followViews(url) {
  const controller = new AbortController();
  const res = await fetch(`${url}/_lambdata/views/events`, { signal: controller.signal });
  const events = [];
  const waiters = [];
  const pump = (async () => {
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of res.body) {
        text += decoder.decode(chunk, { stream: true });
        for (let cut = text.indexOf('\n\n'); cut >= 0; cut = text.indexOf('\n\n')) {
          const block = text.slice(0, cut);
          text = text.slice(cut + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!name || data === undefined) continue;
          const event = { name, data: JSON.parse(data), at: Date.now() };
          events.push(event);
          for (const waiter of [...waiters]) waiter(event);
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') throw err;
    }
  })();
  return {
    /** Resolves with the first event from now on for which `match(event)` is true. */
    next(match) {
      return new Promise((resolve) => {
        const waiter = (event) => {
          if (!match(event)) return;
          waiters.splice(waiters.indexOf(waiter), 1);
          resolve(event);
        };
        waiters.push(waiter);
      });
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

/** The stored events of a finished job (the SSE replay, which ends with its last event). */
export async function jobEvents(url, jobId) {
  const res = await fetch(`${url}/_lambdata/jobs/${jobId}/events`);
  const text = await res.text();
  return text
    .split('\n\n')
    .map((block) => /^data: (.*)$/m.exec(block)?.[1])
    .filter((data) => data !== undefined)
    .map((data) => JSON.parse(data));
}

/**
 * Prints one recompute's timeline; `t0` and `end` are the epoch ms of the POST and of the swap, `phases`
 * the views events seen.
 */
export async function printTimeline(url, { jobId, t0, end, phases }) {
  const rows = [];
  const at = (ms) => `${String(Math.round(ms - t0)).padStart(6)} ms`;
  for (const p of phases) rows.push([p.at, `view ${p.data.phase}${p.data.version ? ` v${p.data.version}` : ''}`]);
  if (jobId) {
    for (const e of await jobEvents(url, jobId)) {
      if (e.type === 'progress' || e.type === 'object.result' || e.type === 'log') continue;
      const detail =
        e.type === 'keys.listed'
          ? ` ${e.keys} objects ${(e.bytes / 1e6).toFixed(0)} MB ${e.tasks} tasks`
          : e.type === 'task.dispatched'
            ? ` ${e.taskId}`
            : e.type === 'task.done'
              ? ` ${e.taskId} ${e.durationMs} ms ${(e.bytes / 1e6).toFixed(1)} MB`
              : e.type === 'stage.started'
                ? ` ${e.stage} ${e.tasks} tasks`
                : '';
      rows.push([e.at, `job ${e.type}${detail}`]);
    }
    const { invocations } = await native(url, 'GET', '/invocations?limit=200');
    // The cascade's invocations carry the job's trigger; the mappers it invokes through the Lambda API do not.
    for (const inv of invocations.filter((i) => i.startedAt >= t0 && i.startedAt <= end)) {
      const init = inv.initDurationMs ? ` init ${Math.round(inv.initDurationMs)} ms` : ' warm';
      rows.push([inv.startedAt, `  ${inv.functionName} start${init} (${inv.requestId.slice(0, 8)})`]);
      rows.push([inv.startedAt + inv.durationMs, `  ${inv.functionName} end ${Math.round(inv.durationMs)} ms`]);
    }
  }
  rows.sort((a, b) => a[0] - b[0]);
  for (const [ms, what] of rows) console.log(`    ${at(ms)}  ${what}`);
}
