// shared/workflows/chatUpdate.ts against the typed in-memory Graph: the issue's current priority, status and
// assignee are posted into its chat, Jira text escaped; at most one update per second per chat (graph-contract
// §12), a faster one goes back to the queue; an issue without a chat is ignored (nothing to post to).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThrottledError } from '../../../shared/errors.js';
import { readChatLink } from '../../../shared/chats/chatLinks.js';
import { chatUpdateJob } from '../../../shared/workflows/chatUpdate.js';
import { issueWithChat } from '../../support/chatLinkSeed.js';
import { jiraIssue, memoryWorkflow } from '../../support/memoryWorkflow.js';

describe('chat-update workflow (in-memory Graph)', () => {
  it("posts the issue's state as it is now into its chat, with Jira strings escaped", async () => {
    const w = memoryWorkflow();
    const chat = await issueWithChat(w, jiraIssue({ key: 'INC-31', priority: 'P1 <urgent>', status: 'In "Progress"', assignee: { accountId: 'acc-ana', displayName: 'Ana & <Agent>' } }));

    const result = await chatUpdateJob(w.job('chat-update', 'INC-31'), w.context(), w.deps);

    assert.deepEqual(result, { outcome: 'done', detail: `update posted to ${chat.id}` });
    assert.equal(chat.messages.length, 1);
    const html = chat.messages[0]!.body!.content!;
    assert.equal(chat.messages[0]!.body!.contentType, 'html');
    assert.ok(html.includes('href="https://acme.atlassian.net/browse/INC-31"'), html);
    assert.match(html, /priority <b>P1 &lt;urgent&gt;<\/b>/);
    assert.match(html, /assignee <b>Ana &amp; &lt;Agent&gt;<\/b>/);
    assert.doesNotMatch(html, /<urgent>|<Agent>/);
    w.graph.assertNoViolations();
  });

  it('a second update within the same second waits in the queue; a second later it posts what is true then', async () => {
    const w = memoryWorkflow();
    // A stopped clock: "the same second" must not depend on how fast this machine runs the two jobs.
    let now = Date.parse('2026-12-04T10:00:00.000Z');
    w.deps.clock = { now: () => new Date(now) };
    const issue = jiraIssue({ key: 'INC-32', priority: 'P3', assignee: undefined });
    const chat = await issueWithChat(w, issue);

    await chatUpdateJob(w.job('chat-update', 'INC-32'), w.context(), w.deps);
    w.jira.issues.set('INC-32', { ...issue, priority: 'P1' });
    await assert.rejects(chatUpdateJob(w.job('chat-update', 'INC-32'), w.context(), w.deps), ThrottledError);
    assert.equal(chat.messages.length, 1, 'nothing posted within the second');

    now += 999;
    await assert.rejects(chatUpdateJob(w.job('chat-update', 'INC-32'), w.context(), w.deps), ThrottledError);
    now += 1;
    await chatUpdateJob(w.job('chat-update', 'INC-32'), w.context(), w.deps);

    assert.equal(chat.messages.length, 2);
    assert.match(chat.messages[0]!.body!.content!, /priority <b>P3<\/b>.*assignee <b>Unassigned<\/b>/);
    assert.match(chat.messages[1]!.body!.content!, /priority <b>P1<\/b>/, 'the issue is read fresh, not taken from the delivery');
    assert.equal((await readChatLink(w.deps, w.siteId, issue.id))?.lastUpdatePostedAt, '2026-12-04T10:00:01.000Z');
    w.graph.assertNoViolations();
  });

  it('an issue without a chat (or whose chat was deleted in Teams) is ignored, with no Graph call', async () => {
    const w = memoryWorkflow();
    w.jira.issues.set('INC-33', jiraIssue({ key: 'INC-33' }));
    const gone = await issueWithChat(w, jiraIssue({ key: 'INC-34' }), { goneAt: w.clock.now().toISOString() });

    assert.deepEqual(await chatUpdateJob(w.job('chat-update', 'INC-33'), w.context(), w.deps), { outcome: 'ignored', detail: 'INC-33 has no chat' });
    assert.deepEqual(await chatUpdateJob(w.job('chat-update', 'INC-34'), w.context(), w.deps), { outcome: 'ignored', detail: 'INC-34 has no chat' });
    assert.equal(gone.messages.length, 0);
    assert.equal(w.graph.made().length, 0);
  });
});
