import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { costReport, emptyUsage } from './cost.js';
import { JobStore } from './job-store.js';
import { planPipeline } from './pipeline-run.js';

let context: TestContext | undefined;
afterEach(() => context?.dispose());

describe('JobStore.pendingCosts', () => {
  it('finds finished runs whose cost waits for invocations, and pipelines with such a stage even while they run', () => {
    context = testContext('job-store');
    const store = new JobStore(context.db);
    const spec = { mapper: 'wordcount', input: { bucket: 'b' } };
    const pending = costReport(emptyUsage(), 10, {}, { pending: 1 });
    const final = costReport(emptyUsage(), 10);

    const done = store.create('j-done', spec, 1);
    store.update({ ...done, status: 'succeeded', cost: final });
    const waiting = store.create('j-wait', spec, 2);
    store.update({ ...waiting, status: 'succeeded', cost: pending });
    const running = store.create('j-run', spec, 3);
    store.update({ ...running, cost: pending });
    const pipe = store.create('j-pipe', { ...spec, stages: [{ mapper: 'wordcount' }, { mapper: 'wordcount' }] }, 4);
    const stages = planPipeline(pipe);
    (stages[0] as (typeof stages)[0]).cost = pending;
    store.update({ ...pipe, pipeline: stages });

    expect(
      store
        .pendingCosts()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['j-pipe', 'j-wait']);
  });
});
