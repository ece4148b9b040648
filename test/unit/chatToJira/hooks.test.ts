// shared/chatToJira/hooks.ts: when the chat workflows tell chat → Jira about a chat, which `chat-subscription`
// jobs are queued (recorded, not sent), read from real Azurite rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatLink } from '../../../shared/chats/chatLinks.js';
import { reserveChatLink } from '../../../shared/chats/chatLinks.js';
import { followChat, followProjectChats, unfollowChat, unfollowTenant } from '../../../shared/chatToJira/hooks.js';
import { writeChatSubscription, type SubscriptionState } from '../../../shared/chatToJira/store.js';
import { jobMessageSchema } from '../../../shared/jobs/messages.js';
import { projectSettingsSchema } from '../../../shared/rules/projectSettings.js';
import { queueNames } from '../../../shared/storage/queues.js';
import { memoryWorkflow } from '../../support/memoryWorkflow.js';

function setup() {
  const w = memoryWorkflow();
  const link = (issueId: string, overrides: Partial<ChatLink> = {}): ChatLink => ({
    siteId: w.siteId,
    issueId,
    issueKey: `INC-${issueId}`,
    kind: 'incident',
    tenantId: w.tenantId,
    state: 'created',
    chatId: `19:${issueId}@thread.v2`,
    reservationId: 'job-1/1',
    reservedAt: '2026-12-04T10:00:00.000Z',
    topic: `INC-${issueId}`,
    ...overrides,
  });
  const subscribed = (l: ChatLink, state: SubscriptionState, tenantId = l.tenantId) =>
    writeChatSubscription(w.deps, { ...l, chatId: l.chatId!, tenantId, state, createdAt: '2026-12-04T10:00:00.000Z', updatedAt: '2026-12-04T10:00:00.000Z' });
  const on = projectSettingsSchema.parse({ tenantId: w.tenantId, chatToJira: { enabled: true } });
  const off = projectSettingsSchema.parse({ tenantId: w.tenantId });
  const jobs = () =>
    w.queues.sent.map((s) => {
      assert.equal(s.queue, queueNames.chatToJiraJobs);
      const job = jobMessageSchema.parse(s.message);
      assert.equal(job.action, 'chat-subscription');
      return { issueKey: job.issueKey, ...job.params } as Record<string, unknown>;
    });
  return { w, link, subscribed, on, off, jobs };
}

describe('followChat', () => {
  it('queues an ensure job for a created chat of a project with chat → Jira on', async () => {
    const { w, link, on, jobs } = setup();
    await followChat(w.deps, link('1'), on);
    assert.deepEqual(jobs(), [{ issueKey: 'INC-1', op: 'ensure', issueId: '1', kind: 'incident', chatId: '19:1@thread.v2', tenantId: w.tenantId }]);
  });

  it('queues nothing when the feature is off, the chat is not created yet or closed, or it is already subscribed', async () => {
    const { w, link, subscribed, on, off } = setup();
    await followChat(w.deps, link('2'), off);
    await followChat(w.deps, link('3', { state: 'creating', chatId: undefined }), on);
    await followChat(w.deps, link('4', { closedAt: '2026-12-04T11:00:00.000Z' }), on);
    await subscribed(link('5'), 'active');
    await followChat(w.deps, link('5'), on);
    assert.deepEqual(w.queues.sent, []);
  });

  it('subscribes again to a chat whose subscription was deleted', async () => {
    const { w, link, subscribed, on, jobs } = setup();
    await subscribed(link('6'), 'deleted');
    await followChat(w.deps, link('6'), on);
    assert.equal(jobs()[0]?.op, 'ensure');
  });
});

describe('unfollowChat', () => {
  it('queues a delete for a subscribed chat, with the transcript when the project wants one', async () => {
    const { w, link, subscribed, on, jobs } = setup();
    await subscribed(link('7'), 'active');
    await unfollowChat(w.deps, link('7'), on);
    await unfollowChat(w.deps, link('7'), projectSettingsSchema.parse({ tenantId: w.tenantId, chatToJira: { enabled: true, transcriptOnResolve: true } }));
    const [plain, withTranscript] = jobs();
    assert.equal(plain?.op, 'delete');
    assert.equal(plain?.transcript, undefined);
    assert.equal(withTranscript?.transcript, true);
  });

  it('queues nothing for a chat that has no live subscription', async () => {
    const { w, link, subscribed, on } = setup();
    await unfollowChat(w.deps, link('8'), on);
    await subscribed(link('9'), 'deleted');
    await unfollowChat(w.deps, link('9'), on);
    assert.deepEqual(w.queues.sent, []);
  });
});

describe('unfollowTenant', () => {
  it('queues a delete for each live subscription of that tenant only, and counts them', async () => {
    const { w, link, subscribed, jobs } = setup();
    await subscribed(link('10'), 'active');
    await subscribed(link('11'), 'failed');
    await subscribed(link('12'), 'deleted');
    await subscribed(link('13'), 'active', 'another-tenant');
    assert.equal(await unfollowTenant(w.deps, w.tenantId, [w.siteId]), 2);
    assert.deepEqual(jobs().map((j) => `${j.op} ${j.issueKey}`).sort(), ['delete INC-10', 'delete INC-11']);
  });
});

describe('followProjectChats', () => {
  it('queues ensure for every created, open chat of the project and no other project', async () => {
    const { w, link, jobs } = setup();
    for (const l of [
      link('20'),
      link('21', { state: 'creating', chatId: undefined }),
      link('22', { closedAt: '2026-12-04T11:00:00.000Z' }),
      link('23', { issueKey: 'INCX-23' }),
      link('24', { issueKey: 'OPS-24' }),
    ]) {
      await reserveChatLink(w.deps, l);
    }
    assert.equal(await followProjectChats(w.deps, w.siteId, 'INC'), 1);
    assert.deepEqual(jobs().map((j) => `${j.op} ${j.issueKey}`), ['ensure INC-20']);
  });
});
