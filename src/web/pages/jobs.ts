/** Jobs: the start form (mapper, prefix, options) and the list of jobs. */
import type { BucketList, JobList, JobRecord, JobSpec } from '../../api/native/contract.js';
import { api, stream } from '../api.js';
import { FrameQueue, field, h, replace } from '../dom.js';
import { jobsTable } from './overview.js';
import { errorBox, type Page } from './page.js';

const LIST_LIMIT = 100;

/** Renders the jobs page; the list follows the server's job feed, so jobs started elsewhere appear live. */
export const renderJobs: Page = (root) => {
  const list = h('div', { id: 'jobs-list' }, 'Loading…');
  root.append(h('h1', {}, 'Jobs'), startForm(), h('h2', {}, 'All jobs'), list);
  const jobs = new Map<string, JobRecord>();
  let loaded = false;
  const frame = new FrameQueue();
  const paint = () => {
    const newest = [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, LIST_LIMIT);
    replace(list, jobsTable(newest));
  };
  // Subscribe first, so a job that starts while the list loads is not missed.
  const source = stream('/jobs/events', {
    job: (data) => {
      const job = data as JobRecord;
      jobs.set(job.id, job);
      if (loaded) frame.schedule('list', paint);
    },
  });
  api<JobList>(`/jobs?limit=${LIST_LIMIT}`)
    .then((answer) => {
      for (const job of answer.jobs) if (!jobs.has(job.id)) jobs.set(job.id, job);
      loaded = true;
      paint();
    })
    .catch((err) => {
      source.close();
      replace(list, errorBox(err));
    });
  return () => source.close();
};

function startForm(): HTMLElement {
  const mapper = h(
    'select',
    { id: 'job-mapper' },
    h('option', { value: 'wordcount' }, 'wordcount'),
    h('option', { value: 'wordfreq' }, 'wordfreq'),
    h('option', { value: 'grep' }, 'grep'),
    h('option', { value: 'custom' }, 'a deployed function…'),
  );
  const custom = h('input', { type: 'text', id: 'job-function', placeholder: 'function name' });
  const bucket = h('select', { id: 'job-bucket', required: true });
  const prefix = h('input', { type: 'text', id: 'job-prefix', placeholder: 'logs/2026/' });
  const pattern = h('input', { type: 'text', id: 'job-pattern', placeholder: 'ERROR|WARN' });
  const scatter = h('input', { type: 'checkbox', id: 'job-scatter' });
  const split = h('input', { type: 'number', id: 'job-split', min: 1, placeholder: '64', step: 'any' });
  const task = h('input', { type: 'number', id: 'job-task', min: 1, placeholder: 'auto', step: 'any' });
  const fanout = h('input', { type: 'number', id: 'job-fanout', min: 1, placeholder: '10' });
  const customField = field('Function', custom);
  const patternField = field('Pattern (regular expression)', pattern);
  const sync = () => {
    customField.hidden = mapper.value !== 'custom';
    patternField.hidden = mapper.value !== 'grep';
  };
  mapper.addEventListener('change', sync);
  sync();
  api<BucketList>('/buckets')
    .then(({ buckets }) => bucket.append(...buckets.map((b) => h('option', { value: b.name }, b.name))))
    .catch((err) => form.append(errorBox(err)));
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'panel job-form' },
    h('h2', {}, 'Start a job'),
    h(
      'div',
      { class: 'fields' },
      field('Mapper', mapper),
      customField,
      patternField,
      field('Bucket', bucket),
      field('Prefix', prefix),
      field('Split size (MiB)', split),
      field('Task size (KiB)', task),
      field('Fan-out', fanout),
    ),
    h('label', { class: 'check' }, scatter, ' Scatter mode (one result per object)'),
    h('button', { type: 'submit', id: 'job-start' }, 'Start job'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const spec: JobSpec = {
      mapper: mapper.value === 'custom' ? custom.value.trim() : mapper.value,
      input: { bucket: bucket.value, ...(prefix.value ? { prefix: prefix.value } : {}) },
      mode: scatter.checked ? 'scatter' : 'aggregate',
    };
    if (mapper.value === 'grep') spec.params = { pattern: pattern.value };
    if (split.value) spec.splitSize = Math.round(Number(split.value) * 1024 * 1024);
    if (task.value) spec.taskSize = Math.round(Number(task.value) * 1024);
    if (fanout.value) spec.fanout = Number(fanout.value);
    replace(status, 'Submitting…');
    api<JobRecord>('/jobs', {
      method: 'POST',
      body: JSON.stringify(spec),
      headers: { 'content-type': 'application/json' },
    })
      .then((job) => {
        location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
      })
      .catch((err) => replace(status, errorBox(err)));
  });
  return form;
}
