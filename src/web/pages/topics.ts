/** SNS topics: each topic's subscriptions (protocol, endpoint, status) and a form to publish a test message. */
import type { PublishAnswer, SubscriptionList, TopicList, TopicView } from '../../api/native/contract.js';
import { api } from '../api.js';
import { field, h, num, replace, table } from '../dom.js';
import { errorBox, type Page } from './page.js';

/** Renders the topics page; `params[0]` is the selected topic's name. */
export const renderTopics: Page = (root, params) => {
  const selected = params[0] ? decodeURIComponent(params[0]) : undefined;
  const list = h('div', { class: 'panel', id: 'topics' }, 'Loading…');
  const detail = h('div', { id: 'topic' });
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  root.append(h('h1', {}, 'Topics ', refresh), list, detail);
  const load = () => {
    api<TopicList>('/topics')
      .then(({ topics }) => {
        replace(
          list,
          topics.length
            ? table(
                ['Topic', 'Type', 'Confirmed subscriptions', 'Pending'],
                topics.map((t) => [
                  h('a', { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name),
                  t.fifo ? 'FIFO' : 'standard',
                  num(t.subscriptions.confirmed),
                  num(t.subscriptions.pending),
                ]),
              )
            : h(
                'p',
                { class: 'muted' },
                'No topics. Create one with `lambdata topics create NAME` or `aws sns create-topic`.',
              ),
        );
        const topic = topics.find((t) => t.name === selected);
        if (selected && !topic) replace(detail, errorBox(new Error(`No topic named ${selected}`)));
        else if (topic) renderTopic(detail, topic);
      })
      .catch((err) => replace(list, errorBox(err)));
  };
  refresh.addEventListener('click', load);
  load();
  return undefined;
};

function renderTopic(root: HTMLElement, topic: TopicView): void {
  const subs = h('div', { class: 'panel', id: 'subscriptions' }, 'Loading…');
  const message = h('textarea', { id: 'publish-message', rows: 4 }, '{"hello":"from the dashboard"}');
  const group = h('input', { id: 'publish-group', placeholder: 'message group id (FIFO topics)' });
  const send = h('button', { type: 'submit' }, 'Publish');
  const outcome = h('p', { id: 'publish-outcome', role: 'status' });
  const form = h(
    'form',
    { class: 'panel' },
    field('Message', message),
    topic.fifo ? field('Group', group) : null,
    send,
    outcome,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send.disabled = true;
    const body: Record<string, string> = { message: message.value };
    if (topic.fifo) {
      body.groupId = group.value || 'dashboard';
      body.deduplicationId = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    }
    api<PublishAnswer>(`/topics/${encodeURIComponent(topic.name)}/messages`, {
      method: 'POST',
      body: JSON.stringify(body),
    })
      .then((answer) => replace(outcome, `Published message ${answer.messageId}`))
      .catch((err) => replace(outcome, errorBox(err)))
      .finally(() => {
        send.disabled = false;
      });
  });
  replace(
    root,
    h('h2', {}, topic.name),
    h('p', { class: 'muted' }, topic.arn),
    h('h3', {}, 'Subscriptions'),
    subs,
    h('h3', {}, 'Publish a message'),
    form,
  );
  api<SubscriptionList>(`/topics/${encodeURIComponent(topic.name)}/subscriptions`)
    .then(({ subscriptions }) =>
      replace(
        subs,
        subscriptions.length
          ? table(
              ['Protocol', 'Endpoint', 'Status', 'Raw delivery', 'Filter policy'],
              subscriptions.map((s) => [
                s.protocol,
                s.endpoint,
                s.confirmed ? 'confirmed' : 'pending confirmation',
                s.attributes.RawMessageDelivery === 'true' ? 'yes' : 'no',
                s.attributes.FilterPolicy ?? '—',
              ]),
            )
          : h('p', { class: 'muted' }, 'No subscriptions.'),
      ),
    )
    .catch((err) => replace(subs, errorBox(err)));
}
