// shared/workflows/syncMembers.ts against the typed in-memory Graph: the steps of the job (read members, add who
// is missing, remove who left, report who Teams refused) and what they leave in the chat and on the issue.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThrottledError } from '../../../shared/errors.js';
import { readChatLink, reserveChatLink, updateChatLink } from '../../../shared/chats/chatLinks.js';
import { saveMapping } from '../../../shared/people/mapping.js';
import { syncMembersJob } from '../../../shared/workflows/syncMembers.js';
import type { MemoryChat, MemoryUser } from '../../support/memoryGraph.js';
import { jiraIssue, memoryWorkflow, type MemoryWorkflow } from '../../support/memoryWorkflow.js';

/** An issue with a chat the bridge made earlier, holding the service user plus `inChat`; `ours` are who it added. */
async function issueWithChat(w: MemoryWorkflow, key: string, inChat: MemoryUser[], ours: Record<string, string>): Promise<MemoryChat> {
  const issue = w.jira.issues.get(key)!;
  const chat = w.graph.addChat({ topic: `${key} ${issue.summary}`, memberIds: [w.serviceUser.id, ...inChat.map((u) => u.id)] });
  const reserved = await reserveChatLink(w.deps, {
    siteId: w.siteId,
    issueId: issue.id,
    issueKey: key,
    kind: 'incident',
    tenantId: w.tenantId,
    state: 'creating',
    reservationId: 'earlier/1',
    reservedAt: w.clock.now().toISOString(),
    topic: chat.topic,
  });
  await updateChatLink(w.deps, reserved!, { state: 'created', chatId: chat.id, webUrl: chat.webUrl ?? undefined, firstMessagePosted: true, remoteLinked: true, members: ours });
  return chat;
}

async function mapped(w: MemoryWorkflow, accountId: string, user: MemoryUser): Promise<void> {
  await saveMapping(w.deps, w.tenantId, { accountId, entraObjectId: user.id, displayName: user.displayName ?? undefined, isGuest: false, source: 'manual' });
}

describe('sync-members workflow (in-memory Graph)', () => {
  it('adds who is missing with the whole history and removes departed people the bridge added, nobody else', async () => {
    const w = memoryWorkflow();
    w.setProject({ tenantId: w.tenantId, removeDepartedMembers: true });
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    const bob = w.graph.addUser({ displayName: 'Bob Reporter' });
    const carl = w.graph.addUser({ displayName: 'Carl Former' });
    const dora = w.graph.addUser({ displayName: 'Dora Added By Hand' });
    w.jira.issues.set('INC-1', jiraIssue({ key: 'INC-1', assignee: { accountId: 'acc-ana' }, reporter: { accountId: 'acc-bob' } }));
    await mapped(w, 'acc-ana', ana);
    await mapped(w, 'acc-bob', bob);
    // Carl was put in by the bridge (he was the assignee once); Dora was added in Teams by someone.
    const chat = await issueWithChat(w, 'INC-1', [ana, carl, dora], { 'acc-ana': ana.id, 'acc-carl': carl.id });

    const result = await syncMembersJob(w.job('sync-members', 'INC-1'), w.context(), w.deps);

    assert.deepEqual(result, { outcome: 'done', detail: 'added 1, removed 1, refused 0' });
    assert.deepEqual(chat.members.map((m) => m.userId).sort(), [w.serviceUser.id, ana.id, bob.id, dora.id].sort());
    const [add] = w.graph.made('POST', /\/members$/);
    assert.equal((add?.body as { visibleHistoryStartDateTime?: string }).visibleHistoryStartDateTime, '0001-01-01T00:00:00Z');
    const link = await readChatLink(w.deps, w.siteId, '10001');
    assert.deepEqual(link?.members, { 'acc-ana': ana.id, 'acc-bob': bob.id });
    assert.equal(w.jira.comments.length, 0, 'nobody to report');
    w.graph.assertNoViolations();
  });

  it('reports a person Teams refuses on the issue and carries on; a second run reports nobody twice', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    const bob = w.graph.addUser({ displayName: 'Bob Blocked' });
    w.jira.issues.set('INC-2', jiraIssue({ key: 'INC-2', assignee: { accountId: 'acc-ana' }, reporter: { accountId: 'acc-bob', displayName: 'Bob Blocked' } }));
    await mapped(w, 'acc-ana', ana);
    await mapped(w, 'acc-bob', bob);
    const chat = await issueWithChat(w, 'INC-2', [ana], { 'acc-ana': ana.id });
    w.graph.fail({ method: 'POST', url: /\/members$/, status: 403, code: 'RosterAddMemberBlocked' });

    const result = await syncMembersJob(w.job('sync-members', 'INC-2'), w.context(), w.deps);

    assert.deepEqual(result, { outcome: 'done', detail: 'added 0, removed 0, refused 1' });
    assert.ok(!chat.members.some((m) => m.userId === bob.id));
    assert.equal(w.jira.comments.length, 1);
    assert.match(w.jira.comments[0]!.text, /Bob Blocked \(acc-bob\): Microsoft Teams refused to add them \(RosterAddMemberBlocked\)/);
    assert.deepEqual((await readChatLink(w.deps, w.siteId, '10002'))?.unmappedReported, ['acc-bob']);
    w.graph.assertNoViolations();
  });

  it('goes back to the queue with Graph\'s Retry-After when Graph throttles a member add', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    w.jira.issues.set('INC-3', jiraIssue({ key: 'INC-3', assignee: { accountId: 'acc-ana' } }));
    await mapped(w, 'acc-ana', ana);
    const chat = await issueWithChat(w, 'INC-3', [], {});
    w.graph.fail({ method: 'POST', url: /\/members$/, status: 429, retryAfterSeconds: 42 });

    await assert.rejects(syncMembersJob(w.job('sync-members', 'INC-3'), w.context(), w.deps), (e: unknown) => e instanceof ThrottledError && e.retryAfterSeconds === 42);
    assert.deepEqual(chat.members.map((m) => m.userId), [w.serviceUser.id]);
  });
});
