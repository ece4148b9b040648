// shared/chatToJira/store.ts on real Azurite tables: chat subscription rows (ETag-guarded patches), the
// "processed once" claim per Teams message, and refusal pacing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  claimMessage,
  finishMessage,
  listChatSubscriptions,
  mayAnswerRefusal,
  patchChatSubscription,
  readChatSubscription,
  readMessageRow,
  releaseMessage,
  writeChatSubscription,
  type ChatSubscriptionRow,
} from '../../../shared/chatToJira/store.js';
import { memoryWorkflow } from '../../support/memoryWorkflow.js';

function setup() {
  const w = memoryWorkflow();
  let now = Date.parse('2026-12-04T10:00:00.000Z');
  const deps = { tables: w.deps.tables, clock: { now: () => new Date(now) } };
  const row = (issueId: string, overrides: Partial<ChatSubscriptionRow> = {}): ChatSubscriptionRow => ({
    siteId: w.siteId,
    issueId,
    issueKey: `INC-${issueId}`,
    kind: 'incident',
    tenantId: w.tenantId,
    chatId: `19:${issueId}@thread.v2`,
    state: 'pending',
    createdAt: '2026-12-04T10:00:00.000Z',
    updatedAt: '2026-12-04T10:00:00.000Z',
    ...overrides,
  });
  return { w, deps, row, chatId: `19:${randomUUID()}@thread.v2`, advance: (s: number) => (now += s * 1000) };
}

describe('chat subscription rows', () => {
  it('writes, reads and lists a site\'s rows, one per issue and kind, and nothing of another site', async () => {
    const { deps, row, w } = setup();
    const other = setup();
    await writeChatSubscription(deps, row('1'));
    await writeChatSubscription(deps, row('1', { kind: 'generic' }));
    await writeChatSubscription(other.deps, other.row('1'));
    assert.equal((await readChatSubscription(deps, w.siteId, '1', 'generic'))?.kind, 'generic');
    assert.equal(await readChatSubscription(deps, w.siteId, '1', 'epic'), undefined);
    const listed = await listChatSubscriptions(deps, w.siteId);
    assert.deepEqual(listed.map((r) => `${r.issueId}|${r.kind}`).sort(), ['1|generic', '1|incident']);
    assert.ok(listed.every((r) => !('partitionKey' in r) && !('etag' in r)));
    const all = await listChatSubscriptions(deps);
    assert.ok(all.some((r) => r.siteId === w.siteId) && all.some((r) => r.siteId === other.w.siteId), 'without a site: every site');
  });

  it('patches apply on the current row even when two writers race, and none is lost', async () => {
    const { deps, row, w } = setup();
    await writeChatSubscription(deps, row('2', { state: 'active' }));
    const key = { siteId: w.siteId, issueId: '2', kind: 'incident' as const };
    await Promise.all([
      patchChatSubscription(deps, key, () => ({ lastEvent: 'created', lastEventAt: '2026-12-04T10:01:00.000Z' })),
      patchChatSubscription(deps, key, () => ({ lastSeenMessageId: '1733300000000' })),
    ]);
    const stored = await readChatSubscription(deps, w.siteId, '2', 'incident');
    assert.equal(stored?.lastEvent, 'created');
    assert.equal(stored?.lastSeenMessageId, '1733300000000');
  });

  it('a patch that decides nothing changes writes nothing, and a missing row patches to undefined', async () => {
    const { deps, row, w } = setup();
    await writeChatSubscription(deps, row('3'));
    const before = await readChatSubscription(deps, w.siteId, '3', 'incident');
    assert.equal((await patchChatSubscription(deps, { siteId: w.siteId, issueId: '3', kind: 'incident' }, () => undefined))?.state, 'pending');
    assert.equal((await readChatSubscription(deps, w.siteId, '3', 'incident'))?.etag, before?.etag);
    assert.equal(await patchChatSubscription(deps, { siteId: w.siteId, issueId: 'none', kind: 'incident' }, () => ({ state: 'active' })), undefined);
  });
});

describe('claimMessage', () => {
  it('the first worker claims a message; a second job is busy while the claim is fresh; a finished one is done', async () => {
    const { deps, chatId } = setup();
    const first = await claimMessage(deps, chatId, '1733300000001', 'job-a', { leaseSeconds: 60 });
    assert.equal(first.status, 'claimed');
    assert.equal(first.status === 'claimed' && first.takeover, false);
    assert.deepEqual(await claimMessage(deps, chatId, '1733300000001', 'job-b', { leaseSeconds: 60 }), { status: 'busy', owner: 'job-a' });
    await finishMessage(deps, chatId, '1733300000001', 'job-a', 'note');
    assert.deepEqual(await claimMessage(deps, chatId, '1733300000001', 'job-b', { leaseSeconds: 60 }), { status: 'done', outcome: 'note' });
    assert.equal((await readMessageRow(deps, chatId, '1733300000001'))?.state, 'done');
  });

  it('the same job retrying takes its own claim over, and so does anyone after the lease, told it is a takeover', async () => {
    const { deps, chatId, advance } = setup();
    await claimMessage(deps, chatId, 'm1', 'job-a', { leaseSeconds: 60 });
    const retry = await claimMessage(deps, chatId, 'm1', 'job-a', { leaseSeconds: 60 });
    assert.equal(retry.status === 'claimed' && retry.takeover, true);
    advance(60);
    const late = await claimMessage(deps, chatId, 'm1', 'job-b', { leaseSeconds: 60 });
    assert.equal(late.status === 'claimed' && late.takeover, true);
  });

  it('a released claim lets the retry claim afresh', async () => {
    const { deps, chatId } = setup();
    const claim = await claimMessage(deps, chatId, 'm2', 'job-a', { leaseSeconds: 60 });
    assert.equal(claim.status, 'claimed');
    await releaseMessage(deps, chatId, 'm2', claim.status === 'claimed' ? claim.etag : '');
    assert.equal(await readMessageRow(deps, chatId, 'm2'), undefined);
    const again = await claimMessage(deps, chatId, 'm2', 'job-b', { leaseSeconds: 60 });
    assert.equal(again.status === 'claimed' && again.takeover, false);
  });
});

describe('mayAnswerRefusal', () => {
  it('answers an author at most once per window in a chat; other authors and chats have their own', async () => {
    const { deps, chatId, advance } = setup();
    assert.equal(await mayAnswerRefusal(deps, chatId, 'author-1', 600), true);
    assert.equal(await mayAnswerRefusal(deps, chatId, 'author-1', 600), false);
    assert.equal(await mayAnswerRefusal(deps, chatId, 'author-2', 600), true);
    assert.equal(await mayAnswerRefusal(deps, `${chatId}x`, 'author-1', 600), true);
    advance(599);
    assert.equal(await mayAnswerRefusal(deps, chatId, 'author-1', 600), false);
    advance(1);
    assert.equal(await mayAnswerRefusal(deps, chatId, 'author-1', 600), true);
    assert.equal(await mayAnswerRefusal(deps, chatId, 'author-1', 600), false, 'the window starts again');
  });
});
