// shared/workflows/chatJobs.ts: the chat-jobs / member-jobs queue handler hands each action to its workflow, refuses
// an action that belongs on another queue, and turns a 404 for the issue's chat into a recorded `chat_gone`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import { readChatLink } from '../../../shared/chats/chatLinks.js';
import { chatJobHandler } from '../../../shared/workflows/chatJobs.js';
import { issueWithChat } from '../../support/chatLinkSeed.js';
import { jiraIssue, memoryWorkflow } from '../../support/memoryWorkflow.js';

describe('chat job dispatch (in-memory Graph)', () => {
  it('hands each chat action to its workflow', async () => {
    const w = memoryWorkflow();
    const handle = chatJobHandler(w.deps);
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    w.jira.issues.set('INC-41', jiraIssue({ key: 'INC-41', assignee: { accountId: 'acc-ana', emailAddress: ana.mail!, displayName: 'Ana Agent' } }));

    for (const action of ['incident-chat', 'customer-chat', 'epic-chat', 'chat'] as const) {
      const r = await handle(w.job(action, 'INC-41'), w.context());
      assert.equal(r.outcome, 'done', action);
    }
    assert.equal(w.graph.chats.size, 1, 'every create-chat action creates the one chat of the issue');
    const chat = [...w.graph.chats.values()][0]!;

    const update = await handle(w.job('chat-update', 'INC-41'), w.context());
    assert.deepEqual(update, { outcome: 'done', detail: `update posted to ${chat.id}` });
    assert.match(chat.messages.at(-1)!.body!.content!, /now: priority/);

    const close = await handle(w.job('close-chat', 'INC-41'), w.context());
    assert.equal(close.outcome, 'ignored', 'close-chat reached its workflow, which ignores an unresolved issue');

    const sync = await handle(w.job('sync-members', 'INC-41'), w.context());
    assert.equal(sync.outcome, 'done');
    assert.ok(w.graph.made('GET', /^\/chats\/[^/]+\/members$/).length >= 1, 'sync-members read the chat roster');
    w.graph.assertNoViolations();
  });

  it('refuses an action that belongs on another queue, without touching Graph or Jira', async () => {
    const w = memoryWorkflow();
    for (const action of ['meeting', 'stakeholder-update'] as const) {
      await assert.rejects(chatJobHandler(w.deps)(w.job(action, 'INC-42'), w.context()), (e: unknown) => {
        assert.ok(e instanceof PermanentError);
        assert.equal(e.code, 'wrong_queue');
        assert.match(e.message, new RegExp(`action ${action} does not belong on this queue`));
        return true;
      });
    }
    assert.equal(w.graph.made().length, 0);
    assert.equal(w.jira.comments.length, 0);
  });

  it('a chat deleted in Teams ends the job as chat_gone, recorded on the link and noted on the issue once', async () => {
    const w = memoryWorkflow();
    const issue = jiraIssue({ key: 'INC-43' });
    const chat = await issueWithChat(w, issue);
    w.graph.chats.delete(chat.id);

    await assert.rejects(chatJobHandler(w.deps)(w.job('chat-update', 'INC-43'), w.context()), (e: unknown) => e instanceof PermanentError && e.code === 'chat_gone');
    w.clock.advance(2);
    // Later jobs find no chat to post to (a gone chat is not used), and nothing is recreated.
    assert.deepEqual(await chatJobHandler(w.deps)(w.job('chat-update', 'INC-43'), w.context()), { outcome: 'ignored', detail: 'INC-43 has no chat' });
    assert.equal(w.graph.chats.size, 0);
    const link = await readChatLink(w.deps, w.siteId, issue.id);
    assert.ok(link?.goneAt, 'the link records the chat as gone');
    assert.equal(w.jira.comments.filter((c) => c.issueKey === 'INC-43').length, 1, 'the issue is told once');
    assert.match(w.jira.comments[0]!.text, /no longer exists/);
    w.graph.assertNoViolations();
  });
});
