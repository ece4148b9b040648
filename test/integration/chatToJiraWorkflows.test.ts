// Chat → Jira in-process against real Azurite, the fake Graph and the fake Jira, with a controllable clock: the
// cases that need time to pass or a crash in the middle (renewal, reauthorization, removal with back-fill, a lost
// connection after Jira wrote the comment) and every command end to end from Graph's notification body to what
// Jira recorded. Notifications go through the same acknowledgement code as over HTTP (acceptGraphNotifications).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { chatToJiraJobHandler } from '../../shared/chatToJira/jobs.js';
import { acceptGraphNotifications, createSubscriptionCache } from '../../shared/chatToJira/notifications.js';
import { listChatSubscriptions, readChatSubscription, readSubscriptionIndex } from '../../shared/chatToJira/store.js';
import { ensureChatSubscription, renewDueSubscriptions } from '../../shared/chatToJira/subscriptions.js';
import { unfollowTenant } from '../../shared/chatToJira/hooks.js';
import { PermanentError } from '../../shared/errors.js';
import type { QueueAccess } from '../../shared/storage/queueAccess.js';
import { listAudit } from '../../shared/jobs/audit.js';
import { jobMessageSchema } from '../../shared/jobs/messages.js';
import { runJob } from '../../shared/jobs/runJob.js';
import { queueNames } from '../../shared/storage/queues.js';
import { saveMapping } from '../../shared/people/mapping.js';
import { ensureChatForIssue } from '../../shared/workflows/createChat.js';
import { closeChatJob } from '../../shared/workflows/closeChat.js';
import type { WorkflowDeps } from '../../shared/jobs/deps.js';
import type { FakeChat, FakeUser } from '../fakes/graph.js';
import { changeNotificationBody, lifecycleNotificationBody } from '../fakes/graph/subscriptions.js';
import { adfToText, type FakeJiraUser } from '../fakes/jira.js';
import { newJobId, startWorkflowHarness, type WorkflowHarness } from '../support/workflowHarness.js';

describe('chat → Jira workflows', () => {
  let h: WorkflowHarness;
  let deps: WorkflowDeps;
  const queued: Array<{ queue: string; body: unknown }> = [];
  let chat: FakeChat;
  let issueId: string;
  const people: Record<string, { graph: FakeUser; jira: FakeJiraUser }> = {};

  const subscription = () => [...h.graph.subscriptions.values()].find((s) => s.resource === `/chats/${chat.id}/messages`);

  /** Runs every queued chat → Jira job through the real job runner, as the host would. */
  async function drain(): Promise<void> {
    const handler = chatToJiraJobHandler(deps);
    for (let i = 0; i < 100 && queued.length > 0; i++) {
      const next = queued.shift()!;
      if (next.queue !== queueNames.chatToJiraJobs) continue;
      await runJob(next.body, { queue: next.queue, dequeueCount: 1 }, handler, deps);
    }
  }

  /** Graph's POST to the notification URL, through the acknowledgement code; returns the HTTP status. */
  async function deliver(body: unknown, query: Record<string, string> = {}): Promise<number> {
    const outcome = await acceptGraphNotifications(
      { method: 'POST', headers: { 'content-type': 'application/json' }, query, params: {}, body: Buffer.from(JSON.stringify(body)) },
      { ...deps, cache: createSubscriptionCache(deps) },
    );
    return outcome.status;
  }

  async function say(who: string, html: string, options: { mentions?: FakeUser[]; notify?: boolean } = {}) {
    const message = h.graph.postMessageAs(people[who]!.graph, chat.id, html, { mentions: options.mentions });
    if (options.notify !== false) {
      const s = subscription()!;
      assert.equal(await deliver(changeNotificationBody(s, { resource: `chats('${chat.id}')/messages('${message.id}')` }, Date.now())), 202);
      await drain();
    }
    return message;
  }

  const lastAnswer = () => chat.messages.filter((m) => m.fromUserId === h.serviceUser.id).at(-1)?.body.content ?? '';
  const comments = () => h.jira.issue('ITSM-9')!.comments;

  before(async () => {
    h = await startWorkflowHarness({ graph: { validateNotificationUrls: false } });
    h.scopes = [...h.scopes, 'Chat.Read'];
    const queues: QueueAccess = {
      ...h.deps.queues,
      async send(queue, message) {
        queued.push({ queue, body: JSON.parse(JSON.stringify(message)) });
        return { messageId: randomUUID() };
      },
    };
    deps = { ...h.deps, queues };
    for (const [key, name] of [['alice', 'Alice Agent'], ['bob', 'Bob Builder'], ['gus', 'Gus Guest']] as const) {
      const mail = `${key}.${randomUUID().slice(0, 6)}@contoso.example`;
      people[key] = { graph: h.graph.addUser({ displayName: name, mail }), jira: h.jira.addUser({ displayName: name, emailAddress: mail, emailVisible: key !== 'bob' }) };
    }
    // Bob hides his e-mail in Jira: an admin mapped him by hand (the reverse mapping chat → Jira uses it too).
    await saveMapping(deps, h.graph.tenantId, { accountId: people.bob!.jira.accountId, entraObjectId: people.bob!.graph.id, isGuest: false, source: 'manual' });
    h.jira.grant(people.alice!.jira, 'ITSM', 'ADD_COMMENTS', 'SERVICEDESK_AGENT', 'EDIT_ISSUES', 'ASSIGN_ISSUES', 'BROWSE_PROJECTS');
    h.jira.grant(people.gus!.jira, 'ITSM', 'ADD_COMMENTS', 'BROWSE_PROJECTS');
    const issue = h.jira.addJsmIssue({
      key: 'ITSM-9',
      summary: 'VPN <down> & out',
      assignee: people.alice!.jira,
      participants: [people.bob!.jira, people.gus!.jira],
    });
    issueId = issue.id;
    h.setProject({ chatToJira: { enabled: true }, memberFields: ['assignee', 'requestParticipants'] });
    await ensureChatForIssue(deps, h.context(), { siteId: h.siteId, issueKey: 'ITSM-9', kind: 'incident', jobId: newJobId() });
    chat = h.graph.chatsWithTopic(/ITSM-9/)[0]!;
    await drain();
    assert.ok(subscription(), 'createChat\'s hook subscribed the new chat');
  });

  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  it('the subscription state is kept per chat and in the issue\'s audit trail', async () => {
    const row = (await readChatSubscription(deps, h.siteId, issueId, 'incident'))!;
    assert.equal(row.state, 'active');
    assert.equal(row.subscriptionId, subscription()!.id);
    assert.equal(row.expiresAt, subscription()!.expirationDateTime);
    const index = await readSubscriptionIndex(deps, row.subscriptionId!);
    assert.equal(index && index.target !== 'mail-in' ? index.chatId : undefined, chat.id);
    const audit = await listAudit(deps, h.siteId, 'ITSM-9');
    assert.ok(audit.some((e) => e.action === 'chat-subscription' && e.outcome === 'done' && /subscription .* created/.test(e.detail ?? '')), JSON.stringify(audit));
  });

  it('/reply on a JSM request is a public comment; the attribution names the author', async () => {
    const before = comments().length;
    await say('alice', '<p>/Reply We are on it, <i>really</i>.</p>');
    const added = comments().slice(before);
    assert.equal(added.length, 1);
    assert.equal(added[0]!.jsdPublic, true, 'the customer sees it');
    assert.match(adfToText(added[0]!.body), /We are on it, really\./);
    assert.match(adfToText(added[0]!.body), /— from Teams, by Alice Agent/);
    assert.match(lastAnswer(), /Reply sent to the customer/);
  });

  it('a guest without the JSM agent permission may not reply publicly, even with comment rights', async () => {
    const before = comments().length;
    await say('gus', '<p>/reply I am the customer\'s friend</p>');
    assert.equal(comments().length, before);
    assert.match(lastAnswer(), /Gus Guest, your Jira account may not do that on ITSM-9 \(needs ADD_COMMENTS and SERVICEDESK_AGENT\)/);
  });

  it('an unmapped external guest is refused (told to get linked) and nothing reaches Jira', async () => {
    const guest = h.graph.addUser({ displayName: 'Xavier External', mail: `xavier.${randomUUID().slice(0, 6)}@fabrikam.example`, userType: 'Guest' });
    chat.members.push({ id: randomUUID(), userId: guest.id, displayName: guest.displayName, email: guest.mail, tenantId: guest.tenantId, roles: ['guest'], visibleHistoryStartDateTime: '0001-01-01T00:00:00Z' });
    people.xavier = { graph: guest, jira: h.jira.addUser({ displayName: 'Xavier External', accountType: 'customer' }) };
    const before = comments().length;
    await say('xavier', '<p>/reply please close this</p>');
    assert.equal(comments().length, before);
    assert.match(lastAnswer(), /Xavier External, your Teams account is not linked to a Jira account/);
  });

  it('/priority by name or id sets it; an unknown name is answered with the valid list', async () => {
    await say('alice', '<p>/priority highest</p>');
    assert.equal((h.jira.issue('ITSM-9')!.fields.priority as { name: string }).name, 'Highest');
    await say('alice', '<p>/priority 4</p>');
    assert.equal((h.jira.issue('ITSM-9')!.fields.priority as { name: string }).name, 'Low');
    await say('alice', '<p>/priority Urgent&lt;b&gt;</p>');
    assert.equal((h.jira.issue('ITSM-9')!.fields.priority as { name: string }).name, 'Low', 'unchanged');
    assert.match(lastAnswer(), /Unknown priority "Urgent&lt;b&gt;"\. Use one of: Highest, High, Medium, Low, Lowest\./);
  });

  it('/assign me, /assign @mention and /assign by e-mail (hidden in Jira) set the assignee', async () => {
    const assignee = () => (h.jira.issue('ITSM-9')!.fields.assignee as { accountId: string } | null)?.accountId;
    await say('alice', '<p>/assign <at id="0">Bob Builder</at></p>', { mentions: [people.bob!.graph] });
    assert.equal(assignee(), people.bob!.jira.accountId, 'the mention, mapped back to Jira');
    await say('alice', '<p>/assign me</p>');
    assert.equal(assignee(), people.alice!.jira.accountId);
    await say('alice', `<p>/assign ${people.bob!.jira.emailAddress}</p>`);
    assert.equal(assignee(), people.bob!.jira.accountId, 'Jira matched the hidden address');
    assert.match(lastAnswer(), /is now assigned to Bob Builder/);
  });

  it('/status answers in the chat with status, priority, assignee and the link, every Jira string escaped', async () => {
    await say('alice', '<p>/STATUS</p>');
    const html = lastAnswer();
    assert.match(html, /ITSM-9<\/a><\/b>: VPN &lt;down&gt; &amp; out/);
    assert.match(html, /<b>Status:<\/b> Open · <b>Priority:<\/b> Low · <b>Assignee:<\/b> Bob Builder/);
    assert.match(html, new RegExp(`href="${h.jira.baseUrl}/browse/ITSM-9"`));
  });

  it('anything that is not a command is left alone', async () => {
    const before = comments().length;
    const answers = chat.messages.length;
    await say('alice', '<p>coffee anyone? /note not at the start</p>');
    assert.equal(comments().length, before);
    assert.equal(chat.messages.length, answers + 1, 'only the message itself, no answer');
  });

  it('a crash after Jira wrote the comment (connection lost) ends with one comment, not two', async () => {
    const before = comments().length;
    const message = await say('alice', '<p>/note survive the crash</p>', { notify: false });
    h.jira.dropConnectionAfter({ method: 'POST', pathPattern: /\/comment$/ });
    const job = jobMessageSchema.parse({
      v: 1, kind: 'job', jobId: newJobId(), action: 'chat-message', siteId: h.siteId, issueKey: 'ITSM-9', source: 'graph',
      params: { issueId, kind: 'incident', chatId: chat.id, messageId: message.id }, requestedAt: new Date().toISOString(),
    });
    const handler = chatToJiraJobHandler(deps);
    await assert.rejects(runJob(job, { queue: queueNames.chatToJiraJobs, dequeueCount: 1 }, handler, deps), 'the lost connection fails the attempt');
    assert.equal(comments().length, before + 1, 'Jira wrote it');
    // The host retries the same queue message.
    await runJob(job, { queue: queueNames.chatToJiraJobs, dequeueCount: 2 }, handler, deps);
    const written = comments().slice(before).filter((c) => adfToText(c.body).includes('survive the crash'));
    assert.equal(written.length, 1, 'one comment');
    // And a late duplicate notification of the same message changes nothing.
    assert.equal(await deliver(changeNotificationBody(subscription()!, { resource: `chats('${chat.id}')/messages('${message.id}')` }, Date.now())), 202);
    await drain();
    assert.equal(comments().slice(before).length, 1);
  });

  it('when the bridge may not ask Jira about permissions, nothing is done and the chat is told why', async () => {
    const before = comments().length;
    h.jira.apiUserAdministersProjects = false;
    try {
      h.clock.advance(601); // past the refusal window of earlier tests
      await say('alice', '<p>/note should not pass</p>');
    } finally {
      h.jira.apiUserAdministersProjects = true;
    }
    assert.equal(comments().length, before);
    assert.match(lastAnswer(), /needs Administer Projects/);
  });

  it('the timer renews a subscription before it expires', async () => {
    const s = subscription()!;
    const before = s.expirationDateTime;
    // The timer looks at every site's chats; other test files share this Azurite, so only this site's jobs count.
    const ours = () => {
      const mine = queued.filter((q) => (q.body as { siteId?: string }).siteId === h.siteId);
      queued.length = 0;
      queued.push(...mine);
      return mine.length;
    };
    await renewDueSubscriptions(deps);
    assert.equal(ours(), 0, 'nothing due yet');
    h.clock.advance(50 * 3600);
    await renewDueSubscriptions(deps);
    assert.equal(ours(), 1);
    await drain();
    assert.equal(h.graph.count('PATCH', `/subscriptions/${s.id}`), 1);
    assert.ok(Date.parse(subscription()!.expirationDateTime) > Date.parse(before), 'a later expiry');
    const row = (await readChatSubscription(deps, h.siteId, issueId, 'incident'))!;
    assert.equal(row.expiresAt, subscription()!.expirationDateTime);
    assert.equal(row.lastEvent, 'renewed');
  });

  it('reauthorizationRequired is answered with /reauthorize', async () => {
    const s = subscription()!;
    assert.equal(await deliver(lifecycleNotificationBody(s, 'reauthorizationRequired'), { lifecycle: '1' }), 202);
    await drain();
    assert.equal(h.graph.subscriptions.get(s.id)?.reauthorizedCount, 1);
    assert.equal((await readChatSubscription(deps, h.siteId, issueId, 'incident'))!.lastEvent, 'reauthorized');
  });

  it('subscriptionRemoved recreates the subscription and back-fills the messages missed meanwhile, each once', async () => {
    const old = subscription()!;
    h.graph.subscriptions.delete(old.id); // Graph removed it
    const before = comments().length;
    const missed = await say('alice', '<p>/note written while nobody listened</p>', { notify: false });
    await say('bob', '<p>just chatting</p>', { notify: false });
    assert.equal(await deliver(lifecycleNotificationBody(old, 'subscriptionRemoved'), { lifecycle: '1' }), 202);
    await drain();
    const fresh = subscription()!;
    assert.notEqual(fresh.id, old.id, 'a new subscription');
    assert.notEqual(fresh.clientState, old.clientState, 'with a new clientState');
    assert.equal(await readSubscriptionIndex(deps, old.id), undefined, 'the old one is forgotten');
    const added = comments().slice(before);
    assert.equal(added.length, 1, 'the missed command, back-filled');
    assert.match(adfToText(added[0]!.body), /written while nobody listened/);
    // The old subscription's notifications are void now; the new one's work.
    assert.equal(await deliver(changeNotificationBody(old, { resource: `chats('${chat.id}')/messages('${missed.id}')` }, Date.now())), 202);
    assert.equal(queued.length, 0, 'a notification of the removed subscription is dropped');
    assert.equal(await deliver(changeNotificationBody(fresh, { resource: `chats('${chat.id}')/messages('${missed.id}')` }, Date.now())), 202);
    await drain();
    assert.equal(comments().slice(before).length, 1, 'the live duplicate of a back-filled message is processed once');
  });

  it('missed back-fills from the last message seen', async () => {
    const before = comments().length;
    await say('alice', '<p>/note missed by Graph</p>', { notify: false });
    assert.equal(await deliver(lifecycleNotificationBody(subscription()!, 'missed'), { lifecycle: '1' }), 202);
    await drain();
    assert.equal(comments().slice(before).filter((c) => adfToText(c.body).includes('missed by Graph')).length, 1);
  });

  it('mirroring, when the project turns it on, makes every human message an internal note', async () => {
    h.setProject({ chatToJira: { enabled: true, mirrorMessages: true }, memberFields: ['assignee', 'requestParticipants'] });
    try {
      const before = comments().length;
      await say('alice', '<p>the VPN concentrator rebooted</p>');
      const added = comments().slice(before);
      assert.equal(added.length, 1);
      assert.equal(added[0]!.jsdPublic, false);
      assert.match(adfToText(added[0]!.body), /the VPN concentrator rebooted/);
    } finally {
      h.setProject({ chatToJira: { enabled: true }, memberFields: ['assignee', 'requestParticipants'] });
    }
  });

  it('closing the chat adds the transcript (when asked) as one internal note and deletes the subscription; later notifications are dropped', async () => {
    const s = subscription()!;
    h.setProject({ chatToJira: { enabled: true, transcriptOnResolve: true }, memberFields: ['assignee', 'requestParticipants'] });
    const before = comments().length;
    const issue = h.jira.issue('ITSM-9')!;
    issue.fields.resolution = { id: '10000', name: 'Done' };
    issue.fields.status = { id: '10002', name: 'Resolved', statusCategory: { key: 'done', name: 'Done' } };
    const job = jobMessageSchema.parse({ v: 1, kind: 'job', jobId: newJobId(), action: 'close-chat', siteId: h.siteId, issueKey: 'ITSM-9', source: 'rule', params: {}, requestedAt: new Date().toISOString() });
    await closeChatJob(job, h.context(), deps);
    await drain();
    const transcripts = comments().slice(before).filter((c) => adfToText(c.body).startsWith('Transcript of the Teams chat'));
    assert.equal(transcripts.length, 1, 'one transcript');
    assert.equal(transcripts[0]!.jsdPublic, false, 'internal');
    const text = adfToText(transcripts[0]!.body);
    assert.match(text, /Alice Agent: \/note written while nobody listened/);
    assert.match(text, /Bob Builder: just chatting/);
    assert.ok(!/Internal note added to/.test(text), 'the bridge\'s own posts are not in it');
    await closeChatJob({ ...job, jobId: newJobId() }, h.context(), deps);
    await drain();
    assert.equal(comments().slice(before).filter((c) => adfToText(c.body).startsWith('Transcript of the Teams chat')).length, 1, 'a repeated close adds none');
    assert.equal(subscription(), undefined, 'deleted at Graph');
    assert.equal(h.graph.count('DELETE', `/subscriptions/${s.id}`), 1);
    const rows = await listChatSubscriptions(deps, h.siteId);
    assert.equal(rows.find((r) => r.chatId === chat.id)?.state, 'deleted');
    assert.equal(await deliver(changeNotificationBody(s, { resource: `chats('${chat.id}')/messages('1')` }, Date.now())), 202);
    assert.equal(queued.length, 0, 'dropped: the subscription is unknown now');
  });

  it('a tenant disconnect deletes the chats\' subscriptions even though Graph can no longer be called', async () => {
    // The chat is subscribed again (as when a resolved issue's chat is followed anew), then the tenant goes.
    await ensureChatSubscription(deps, h.context(), { siteId: h.siteId, issueId, issueKey: 'ITSM-9', kind: 'incident', tenantId: h.graph.tenantId, chatId: chat.id });
    const s = subscription()!;
    assert.equal(await unfollowTenant(deps, h.graph.tenantId, [h.siteId]), 1);
    // Disconnecting removed the service users: every Graph token request now fails permanently.
    const gone: WorkflowDeps = {
      ...deps,
      graphFor: async () => {
        throw new PermanentError('no service user signed in', 'service_user_missing');
      },
    };
    const handler = chatToJiraJobHandler(gone);
    while (queued.length) await runJob(queued.shift()!.body, { queue: queueNames.chatToJiraJobs, dequeueCount: 1 }, handler, gone);
    assert.equal((await readChatSubscription(deps, h.siteId, issueId, 'incident'))?.state, 'deleted');
    assert.equal(await readSubscriptionIndex(deps, s.id), undefined);
    assert.equal(await deliver(changeNotificationBody(s, { resource: `chats('${chat.id}')/messages('1')` }, Date.now())), 202);
    assert.equal(queued.length, 0, 'its notifications are dropped until Graph lets the subscription expire');
  });

  it('a subscription the bridge lost track of (here: left at Graph by the disconnect) is found and replaced, not a dead end', async () => {
    const orphan = subscription()!;
    const result = await ensureChatSubscription(deps, h.context(), { siteId: h.siteId, issueId, issueKey: 'ITSM-9', kind: 'incident', tenantId: h.graph.tenantId, chatId: chat.id });
    assert.equal(result.outcome, 'done', result.detail);
    const fresh = subscription()!;
    assert.notEqual(fresh.id, orphan.id);
    assert.equal(h.graph.subscriptions.has(orphan.id), false, 'the orphan was deleted');
    assert.equal((await readChatSubscription(deps, h.siteId, issueId, 'incident'))?.subscriptionId, fresh.id);
  });
});
