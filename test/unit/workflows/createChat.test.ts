// shared/workflows/createChat.ts against the typed in-memory Graph: one chat per issue with the service user and
// the people it can map, the issue posted into it and linked from Jira, the unmapped reported; a member Teams
// refuses costs only that member; a chat an interrupted attempt created is adopted, not created again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readChatLink, reserveChatLink } from '../../../shared/chats/chatLinks.js';
import { renderTopic } from '../../../shared/chats/topic.js';
import { createChatJob } from '../../../shared/workflows/createChat.js';
import { jiraIssue, memoryWorkflow } from '../../support/memoryWorkflow.js';

const base = 'https://graph.microsoft.com/v1.0';

describe('create-chat workflow (in-memory Graph)', () => {
  it('creates one chat with the service user and the people found by e-mail, posts and links the issue, reports the unmapped once', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    w.jira.issues.set(
      'INC-11',
      jiraIssue({ key: 'INC-11', summary: 'Printer <on> fire', assignee: { accountId: 'acc-ana', emailAddress: ana.mail!, displayName: 'Ana Agent' }, reporter: { accountId: 'acc-rita', displayName: 'Rita Hidden' } }),
    );

    const first = await createChatJob(w.job('incident-chat', 'INC-11'), w.context(), w.deps);
    const again = await createChatJob(w.job('incident-chat', 'INC-11'), w.context(), w.deps);

    assert.equal(w.graph.chats.size, 1, 'one chat, however often the action runs');
    const chat = [...w.graph.chats.values()][0]!;
    assert.deepEqual(first, { outcome: 'done', detail: `created chat ${chat.id}` });
    assert.match(again.detail ?? '', /already existed/);
    assert.deepEqual(chat.members.map((m) => m.userId).sort(), [w.serviceUser.id, ana.id].sort());
    assert.deepEqual((w.graph.made('POST', /^\/chats$/)[0]?.body as { members: unknown[] }).members[0], {
      '@odata.type': '#microsoft.graph.aadUserConversationMember',
      roles: ['owner'],
      'user@odata.bind': `${base}/users('${w.serviceUser.id}')`,
    });
    assert.equal(chat.messages.length, 1);
    assert.match(chat.messages[0]!.body!.content!, /browse\/INC-11">INC-11<\/a><\/b>: Printer &lt;on&gt; fire/);
    assert.deepEqual(w.jira.remoteLinks.map((r) => r.link.url), [chat.webUrl]);
    assert.equal(w.jira.comments.length, 1);
    assert.match(w.jira.comments[0]!.text, /Rita Hidden \(acc-rita\): Jira hides their e-mail address/);
    assert.equal(w.graph.made('GET', /^\/me\/chats/).length, 0, 'no recovery lookup when nothing was interrupted');
    w.graph.assertNoViolations();
  });

  it('creates the chat without a person Teams refuses and queues a member sync for the others', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    const bob = w.graph.addUser({ displayName: 'Bob Blocked' });
    const cleo = w.graph.addUser({ displayName: 'Cleo Caller' });
    w.graph.refusedMembers.set(bob.id, { status: 403, code: 'RosterAddMemberBlocked' });
    w.jira.issues.set(
      'INC-12',
      jiraIssue({
        key: 'INC-12',
        assignee: { accountId: 'acc-bob', emailAddress: bob.mail! },
        reporter: { accountId: 'acc-ana', emailAddress: ana.mail! },
        requestParticipants: [{ accountId: 'acc-cleo', emailAddress: cleo.mail! }],
      }),
    );

    const result = await createChatJob(w.job('incident-chat', 'INC-12'), w.context(), w.deps);

    assert.equal(result.outcome, 'done');
    assert.equal(w.graph.chats.size, 1);
    const chat = [...w.graph.chats.values()][0]!;
    // Bob first made the whole create fail; then Bob alone was refused; then Ana was accepted.
    assert.equal(w.graph.made('POST', /^\/chats$/).length, 3);
    assert.deepEqual(chat.members.map((m) => m.userId).sort(), [w.serviceUser.id, ana.id].sort());
    assert.deepEqual(
      w.queues.sent.map((s) => (s.message as { action: string }).action),
      ['sync-members'],
      'Bob and Cleo are left to the paced member sync',
    );
    w.graph.assertNoViolations();
  });

  it('adopts the chat an interrupted attempt created instead of creating a second one', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    const issue = jiraIssue({ key: 'INC-13', assignee: { accountId: 'acc-ana', emailAddress: ana.mail! } });
    w.jira.issues.set('INC-13', issue);
    const topic = renderTopic(w.settings.topicTemplate, issue);
    // An earlier attempt reserved the link, sent POST /chats and lost the answer (abandoned).
    const reservedAt = new Date(w.clock.now().getTime() - 30_000).toISOString();
    await reserveChatLink(w.deps, {
      siteId: w.siteId,
      issueId: issue.id,
      issueKey: issue.key,
      kind: 'incident',
      tenantId: w.tenantId,
      state: 'creating',
      reservationId: 'earlier/1',
      reservedAt,
      abandonedAt: new Date(w.clock.now().getTime() - 20_000).toISOString(),
      topic,
    });
    const lost = w.graph.addChat({ topic, memberIds: [w.serviceUser.id, ana.id] });

    const result = await createChatJob(w.job('incident-chat', 'INC-13'), w.context(), w.deps);

    assert.equal(w.graph.chats.size, 1, 'no second chat');
    assert.equal(w.graph.made('POST', /^\/chats$/).length, 0);
    assert.equal((await readChatLink(w.deps, w.siteId, issue.id))?.chatId, lost.id);
    assert.match(result.detail ?? '', new RegExp(`already existed|${lost.id}`));
    assert.equal(lost.messages.length, 1, 'the adopted chat still gets the issue posted');
    w.graph.assertNoViolations();
  });
});
