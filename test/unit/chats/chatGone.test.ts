// shared/chats/chatGone.ts: a 404 for the issue's chat ends the job with chat_gone once Graph confirms the chat is
// gone (GET /chats/{id} → 404), records it on the chat link and notes the issue once; any other 404 or failure is
// judged as it was. Hand-written deps: memoryWorkflow's typed in-memory Graph (every request checked against
// Microsoft's schema) and Jira, over real Azurite tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatGoneError, recordIfChatGone } from '../../../shared/chats/chatGone.js';
import { readChatLink, reserveChatLink, updateChatLink } from '../../../shared/chats/chatLinks.js';
import { PermanentError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { jiraIssue, memoryWorkflow } from '../../support/memoryWorkflow.js';

async function setup() {
  const w = memoryWorkflow();
  const issue = jiraIssue({ key: 'INC-5' });
  w.jira.issues.set(issue.key, issue);
  const chat = w.graph.addChat({ topic: 'INC-5 Printer on fire', memberIds: [w.serviceUser.id] });
  const reserved = (await reserveChatLink(w.deps, {
    siteId: w.siteId,
    issueId: issue.id,
    issueKey: issue.key,
    kind: 'incident',
    tenantId: w.tenantId,
    state: 'creating',
    reservationId: 'job-0/1',
    reservedAt: w.clock.now().toISOString(),
    topic: chat.topic,
  }))!;
  await updateChatLink(w.deps, reserved, { state: 'created', chatId: chat.id });
  const context = w.context();
  const job = w.job('chat-update', issue.key);
  const notFound = (path: string) => new GraphRequestError(404, 'NotFound', 'not found', 'GET', path, 'req-404');
  const linkNow = () => readChatLink(w.deps, w.siteId, issue.id);
  return { w, chat, context, job, notFound, linkNow };
}

describe('recordIfChatGone', () => {
  it('a chat deleted in Teams ends the job with chat_gone, recorded on the link and noted on the issue once', async () => {
    const { w, chat, context, job, notFound, linkNow } = await setup();
    w.graph.chats.delete(chat.id);
    const path = `/chats/${encodeURIComponent(chat.id)}/messages`;
    const result = await recordIfChatGone(w.deps, context, job, notFound(path));
    assert.ok(result instanceof PermanentError && result.code === 'chat_gone', String(result));
    assert.equal(w.graph.made('GET', /\/chats\/[^/]+$/).length, 1, 'confirmed with GET /chats/{id}');
    assert.ok(context.graphRequestIds.length > 0, 'the confirming request is in the audit');
    const link = await linkNow();
    assert.ok(link?.goneAt);
    assert.match(link?.goneReason ?? '', /404 NotFound/);
    assert.equal(w.jira.comments.length, 1);
    assert.match(w.jira.comments[0]!.text, /no longer exists/);

    const again = await recordIfChatGone(w.deps, w.context(), w.job('close-chat', 'INC-5'), notFound(path));
    assert.ok(again instanceof PermanentError && again.code === 'chat_gone');
    assert.equal(w.jira.comments.length, 1, 'the issue is noted once');
    assert.equal(w.graph.made('GET', /\/chats\/[^/]+$/).length, 1, 'no second confirmation once recorded');
    w.graph.assertNoViolations();
  });

  it('a 404 on something inside a chat that still exists is not chat_gone', async () => {
    const { w, chat, context, job, notFound, linkNow } = await setup();
    const original = notFound(`/chats/${encodeURIComponent(chat.id)}/members/abc`);
    assert.equal(await recordIfChatGone(w.deps, context, job, original), original);
    assert.equal((await linkNow())?.goneAt, undefined);
    assert.deepEqual(w.jira.comments, []);
  });

  it('leaves alone errors that are not a 404 for this issue\'s chat', async () => {
    const { w, chat, context, job, notFound } = await setup();
    w.graph.chats.delete(chat.id);
    const others: unknown[] = [
      new Error('socket hang up'),
      new GraphRequestError(403, 'Forbidden', 'no', 'GET', `/chats/${encodeURIComponent(chat.id)}`),
      notFound('/users/someone'),
      notFound('/chats/19:another@thread.v2/messages'),
    ];
    for (const e of others) assert.equal(await recordIfChatGone(w.deps, context, job, e), e);
    assert.equal(w.graph.calls.length, 0, 'nothing was looked up for them');
  });

  it('when the closer look fails (Jira unreachable), the original error stands', async () => {
    const { w, chat, context, job, notFound, linkNow } = await setup();
    w.graph.chats.delete(chat.id);
    const deps = { ...w.deps, jiraFor: async () => { throw new TypeError('fetch failed'); } };
    const original = notFound(`/chats/${encodeURIComponent(chat.id)}`);
    assert.equal(await recordIfChatGone(deps, context, job, original), original);
    assert.equal((await linkNow())?.goneAt, undefined);
  });
});

describe('chatGoneError', () => {
  it('names the chat, the issue and when it was recorded, and says it is not recreated', () => {
    const e = chatGoneError({ chatId: '19:x@thread.v2', issueKey: 'INC-5', goneAt: '2026-12-04T10:00:00.000Z' });
    assert.equal(e.code, 'chat_gone');
    assert.deepEqual(e.details, { chatId: '19:x@thread.v2' });
    assert.match(e.message, /19:x@thread\.v2 of INC-5 .*2026-12-04T10:00:00\.000Z.*not recreated/);
  });
});
