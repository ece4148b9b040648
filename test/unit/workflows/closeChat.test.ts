// shared/workflows/closeChat.ts against the typed in-memory Graph: the resolution summary is posted once per
// resolution, the topic gets the resolved prefix, and a tenant without Chat.ReadWrite loses only the rename.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readChatLink, reserveChatLink, updateChatLink } from '../../../shared/chats/chatLinks.js';
import { closeChatJob } from '../../../shared/workflows/closeChat.js';
import type { MemoryChat } from '../../support/memoryGraph.js';
import { jiraIssue, memoryWorkflow, type MemoryWorkflow } from '../../support/memoryWorkflow.js';

async function resolvedIssueWithChat(w: MemoryWorkflow, key: string, summary: string): Promise<MemoryChat> {
  const issue = jiraIssue({ key, summary, status: 'Done', resolution: 'Fixed', resolutionDate: '2026-12-01T10:00:00.000+0000', assignee: { accountId: 'acc-ana', displayName: 'Ana <Agent>' } });
  w.jira.issues.set(key, issue);
  const chat = w.graph.addChat({ topic: `${key} ${summary}`, memberIds: [w.serviceUser.id, w.graph.addUser({ displayName: 'Ana Agent' }).id] });
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
  await updateChatLink(w.deps, reserved!, { state: 'created', chatId: chat.id, firstMessagePosted: true, remoteLinked: true });
  return chat;
}

describe('close-chat workflow (in-memory Graph)', () => {
  it('posts the resolution summary once, escaped, and renames the chat with the resolved prefix', async () => {
    const w = memoryWorkflow();
    const chat = await resolvedIssueWithChat(w, 'INC-7', 'Printer on fire');

    const first = await closeChatJob(w.job('close-chat', 'INC-7', { summary: 'Replaced <the> fuser' }), w.context(), w.deps);
    const again = await closeChatJob(w.job('close-chat', 'INC-7'), w.context(), w.deps);

    assert.equal(first.outcome, 'done');
    assert.equal(again.outcome, 'ignored');
    assert.equal(chat.messages.length, 1, 'one summary per resolution, however often the job runs');
    const html = chat.messages[0]!.body!.content!;
    assert.match(html, /<a href="https:\/\/acme\.atlassian\.net\/browse\/INC-7">INC-7<\/a><\/b> was resolved: <b>Fixed<\/b>/);
    assert.match(html, /assignee Ana &lt;Agent&gt;/);
    assert.match(html, /<p>Replaced &lt;the&gt; fuser<\/p>/);
    assert.equal(chat.topic, '[Resolved] INC-7 Printer on fire');
    const link = await readChatLink(w.deps, w.siteId, '10007');
    assert.equal(link?.closedFor, 'resolved 2026-12-01T10:00:00.000+0000');
    assert.equal(link?.topic, '[Resolved] INC-7 Printer on fire');
    assert.equal(w.graph.made('PATCH').length, 1);
    w.graph.assertNoViolations();
  });

  it('without Chat.ReadWrite (403 on the rename) still posts the summary and says which capability is lost', async () => {
    const w = memoryWorkflow();
    const chat = await resolvedIssueWithChat(w, 'INC-8', 'Disk full');
    w.graph.fail({ method: 'PATCH', url: /^\/chats\//, status: 403, code: 'Forbidden' });

    const result = await closeChatJob(w.job('close-chat', 'INC-8'), w.context(), w.deps);

    assert.equal(result.outcome, 'done');
    assert.equal(chat.messages.length, 1);
    assert.equal(chat.topic, 'INC-8 Disk full');
    assert.ok(w.log.lines.some((l) => l.includes('capability.degraded') && l.includes('Chat.ReadWrite')));
    w.graph.assertNoViolations();
  });

  it('posts nothing for an issue that is not resolved (any more)', async () => {
    const w = memoryWorkflow();
    const chat = await resolvedIssueWithChat(w, 'INC-9', 'Reopened');
    w.jira.issues.set('INC-9', { ...w.jira.issues.get('INC-9')!, resolution: undefined, resolutionDate: undefined, status: 'Open' });

    const result = await closeChatJob(w.job('close-chat', 'INC-9'), w.context(), w.deps);

    assert.equal(result.outcome, 'ignored');
    assert.equal(chat.messages.length, 0);
    assert.equal(w.graph.made().length, 0);
  });
});
