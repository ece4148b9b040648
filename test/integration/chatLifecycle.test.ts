// After creation: members that follow Jira (paced to Graph's 4 adds per minute per chat), optional removal,
// the resolution summary, short updates at most once a second, and how the job runner ends each kind of failure.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ThrottledError, NeedsReauthError } from '../../shared/errors.js';
import { ensureChatForIssue } from '../../shared/workflows/createChat.js';
import { syncMembersJob } from '../../shared/workflows/syncMembers.js';
import { closeChatJob } from '../../shared/workflows/closeChat.js';
import { chatUpdateJob } from '../../shared/workflows/chatUpdate.js';
import { runJob } from '../../shared/jobs/runJob.js';
import { readChatLink } from '../../shared/chats/chatLinks.js';
import { chatJobHandler } from '../../shared/workflows/chatJobs.js';
import { listAudit } from '../../shared/jobs/audit.js';
import { jobMessageSchema, type JobMessage } from '../../shared/jobs/messages.js';
import { type Action } from '../../shared/actions.js';
import { listParkedJobs } from '../../shared/storage/parkedJobs.js';
import { poisonQueueName } from '../../shared/storage/queues.js';
import type { FakeUser } from '../fakes/graph.js';
import type { FakeJiraUser } from '../fakes/jira.js';
import { uniqueName } from '../support/storage.js';
import { newJobId, startWorkflowHarness, type WorkflowHarness } from '../support/workflowHarness.js';

describe('chat lifecycle and job outcomes', () => {
  let h: WorkflowHarness;
  let next = 500;
  before(async () => {
    h = await startWorkflowHarness();
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  function person(name: string): { graphUser: FakeUser; jiraUser: FakeJiraUser } {
    const mail = `${name.toLowerCase().replace(/\W+/g, '.')}.${randomUUID().slice(0, 6)}@contoso.example`;
    return { graphUser: h.graph.addUser({ displayName: name, mail }), jiraUser: h.jira.addUser({ displayName: name, emailAddress: mail }) };
  }

  function job(action: Action, issueKey: string, params: Record<string, unknown> = {}): JobMessage {
    return jobMessageSchema.parse({ v: 1, kind: 'job', jobId: newJobId(), action, siteId: h.siteId, issueKey, source: 'automation', params, requestedAt: new Date().toISOString() });
  }

  async function incidentWithChat(assignee = person('Owner Olga')) {
    const key = `OPS-${next++}`;
    const reporter = assignee.jiraUser;
    const issue = h.jira.addJsmIssue({ key, summary: `Incident ${key}`, assignee: assignee.jiraUser, reporter });
    await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: key, kind: 'incident', jobId: newJobId() });
    const chat = h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`))[0]!;
    return { key, issue, chat };
  }

  function setParticipants(key: string, users: FakeJiraUser[]) {
    const issue = h.jira.issue(key)!;
    issue.participants = users.map((u) => u.accountId);
    issue.fields[h.jira.fieldIds.requestParticipants] = users.map((u) => ({ accountId: u.accountId }));
  }

  it('new participants are added to the chat, four per minute, the rest after a delay instead of a 429', async () => {
    const { key, chat } = await incidentWithChat();
    const six = Array.from({ length: 6 }, (_, i) => person(`Participant ${i}`));
    setParticipants(key, six.map((p) => p.jiraUser));

    const first = await syncMembersJob(job('sync-members', key), h.context(), h.deps).catch((e: unknown) => e);
    assert.ok(first instanceof ThrottledError, 'the fifth add waits');
    assert.ok(first.retryAfterSeconds > 30 && first.retryAfterSeconds <= 61, `waits for the minute window, got ${first.retryAfterSeconds}`);
    assert.equal(chat.members.length, 2 + 4);
    assert.equal(h.graph.requests.filter((r) => r.status === 429).length, 0, 'Graph never had to refuse an add');

    h.clock.advance(61);
    const second = await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.equal(second.outcome, 'done');
    assert.equal(chat.members.length, 2 + 6);
    for (const p of six) assert.ok(chat.members.some((m) => m.userId === p.graphUser.id && m.visibleHistoryStartDateTime === '0001-01-01T00:00:00Z'));
    h.clock.advance(61);
  });

  it('watchers join the chat when the project names them as member field', async () => {
    const watcher = person('Wendy Watcher');
    h.setProject({ memberFields: ['assignee', 'reporter', 'watchers'] });
    try {
      const key = `OPS-${next++}`;
      const owner = person('Owner Ada');
      const issue = h.jira.addJsmIssue({ key, summary: `Watched ${key}`, assignee: owner.jiraUser, reporter: owner.jiraUser });
      issue.watchers = [watcher.jiraUser.accountId];
      await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: key, kind: 'incident', jobId: newJobId() });
      const chat = h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`))[0]!;
      assert.ok(chat.members.some((m) => m.userId === watcher.graphUser.id));
    } finally {
      h.setProject({});
    }
  });

  it('people who left the issue stay in the chat unless the project removes them', async () => {
    const { key, chat } = await incidentWithChat();
    const pat = person('Pat Participant');
    setParticipants(key, [pat.jiraUser]);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.ok(chat.members.some((m) => m.userId === pat.graphUser.id));

    setParticipants(key, []);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.ok(chat.members.some((m) => m.userId === pat.graphUser.id), 'kept by default');

    h.setProject({ removeDepartedMembers: true });
    try {
      await syncMembersJob(job('sync-members', key), h.context(), h.deps);
      assert.ok(!chat.members.some((m) => m.userId === pat.graphUser.id), 'removed when the project asks');
      assert.ok(chat.members.some((m) => m.userId === h.serviceUser.id), 'the service user is never removed');
    } finally {
      h.setProject({});
      h.clock.advance(61);
    }
  });

  it('a resolved issue gets one resolution summary and a [Resolved] topic, however often the event comes', async () => {
    const { key, chat } = await incidentWithChat();
    await assert.doesNotReject(closeChatJob(job('close-chat', key), h.context(), h.deps));
    assert.equal(chat.messages.length, 1, 'not resolved yet: nothing posted');

    h.jira.issue(key)!.fields.resolution = { id: '10000', name: 'Done <fixed>' };
    const done = await closeChatJob(job('close-chat', key, { summary: 'Root cause: disk full' }), h.context(), h.deps);
    assert.equal(done.outcome, 'done');
    assert.equal(chat.messages.length, 2);
    assert.match(chat.messages[1]!.body.content, /Done &lt;fixed&gt;/);
    assert.match(chat.messages[1]!.body.content, /Root cause: disk full/);
    assert.ok(chat.topic!.startsWith('[Resolved] '));

    const again = await closeChatJob(job('close-chat', key), h.context(), h.deps);
    assert.equal(again.outcome, 'ignored');
    assert.equal(chat.messages.length, 2);
    assert.equal(chat.topic!.match(/\[Resolved\]/g)!.length, 1);
  });

  it('a resolution delivered several times at once (different delivery ids) posts one summary and renames once; a reopen and a new resolution post again', async () => {
    const { key, chat } = await incidentWithChat();
    const fields = h.jira.issue(key)!.fields;
    // Jira sets resolutiondate with the resolution (its REST rendering of a datetime field).
    fields.resolution = { id: '10000', name: 'Done' };
    fields.resolutiondate = '2026-12-04T10:15:30.000+0000';
    fields.status = { name: 'Resolved' };
    h.graph.delay(300, { method: 'POST', pathPattern: '/chats/*/messages' });
    const results = await Promise.allSettled([
      closeChatJob(job('close-chat', key), h.context(), h.deps),
      closeChatJob(job('close-chat', key), h.context(), h.deps),
      closeChatJob(job('close-chat', key), h.context(), h.deps),
    ]);
    h.graph.delay(0);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ThrottledError, String(r.reason));
    const again = await closeChatJob(job('close-chat', key), h.context(), h.deps);
    assert.equal(again.outcome, 'ignored');
    assert.equal(chat.messages.length, 2, 'one resolution summary');
    assert.equal(chat.topic!.match(/\[Resolved\]/g)?.length, 1, 'renamed once');

    // The same resolution moving on through the workflow (Resolved → Closed) is not a new resolution.
    fields.status = { name: 'Closed' };
    assert.equal((await closeChatJob(job('close-chat', key), h.context(), h.deps)).outcome, 'ignored');
    assert.equal(chat.messages.length, 2);

    // Reopened, then resolved again later: a new resolution, a new summary (the topic keeps one prefix).
    fields.resolution = null;
    fields.resolutiondate = null;
    assert.equal((await closeChatJob(job('close-chat', key), h.context(), h.deps)).outcome, 'ignored');
    fields.resolution = { id: '10000', name: 'Done' };
    fields.resolutiondate = '2026-12-05T08:00:00.000+0000';
    h.clock.advance(2);
    assert.equal((await closeChatJob(job('close-chat', key), h.context(), h.deps)).outcome, 'done');
    assert.equal(chat.messages.length, 3);
    assert.equal(chat.topic!.match(/\[Resolved\]/g)?.length, 1);
  });

  it('without the optional Chat.ReadWrite scope the summary is posted and only the rename is skipped, visibly', async () => {
    const { key, chat } = await incidentWithChat();
    const granted = h.scopes;
    h.scopes = granted.filter((s) => s !== 'Chat.ReadWrite');
    try {
      h.jira.issue(key)!.fields.resolution = { id: '10000', name: 'Done' };
      const done = await closeChatJob(job('close-chat', key), h.context(), h.deps);
      assert.equal(done.outcome, 'done');
      assert.equal(chat.messages.length, 2, 'the resolution summary is posted');
      assert.ok(!chat.topic!.startsWith('[Resolved]'), 'the topic stays');
      assert.ok(h.log.lines.some((l) => l.includes('"capability.degraded"') && l.includes('Chat.ReadWrite')));
    } finally {
      h.scopes = granted;
    }
  });

  it('short updates post what is true now, at most one per second per chat', async () => {
    const { key, chat } = await incidentWithChat();
    h.jira.issue(key)!.fields.priority = { id: '1', name: 'Highest' };
    await chatUpdateJob(job('chat-update', key), h.context(), h.deps);
    assert.match(chat.messages.at(-1)!.body.content, /priority <b>Highest<\/b>/);
    await assert.rejects(chatUpdateJob(job('chat-update', key), h.context(), h.deps), ThrottledError);
    h.clock.advance(2);
    await chatUpdateJob(job('chat-update', key), h.context(), h.deps);
    assert.equal(chat.messages.length, 3);
  });

  it('the runner ends every job: done, deferred with a delay, parked, failed with a reason, or poisoned', async () => {
    const queue = uniqueName('q');
    const trigger = { queue, dequeueCount: 1 };
    const { key } = await incidentWithChat();

    await runJob(job('sync-members', key), trigger, async () => ({ outcome: 'done', detail: 'fine' }), h.deps);
    await runJob(job('sync-members', key), trigger, async () => { throw new ThrottledError('slow down', 42); }, h.deps);
    const deferred = await h.deps.queues.receive(queue, 32, 1);
    assert.equal(deferred.length, 0, 'the deferred job is not visible yet');
    assert.equal(await h.deps.queues.approximateCount(queue), 1, 'but it is on the queue');

    await runJob(job('sync-members', key), trigger, async () => { throw new NeedsReauthError('token dead', h.graph.tenantId, 'chats', '/api/service-user/start'); }, h.deps);
    const parked = await listParkedJobs(h.deps.tables, h.graph.tenantId, 'chats');
    assert.ok(parked.some((p) => (p.message as JobMessage).issueKey === key), 'parked, not poisoned');

    h.jira.deleteIssue(key);
    await runJob(job('sync-members', key), trigger, (j, c) => syncMembersJob(j, c, h.deps), h.deps);

    await assert.rejects(runJob(job('sync-members', key), { queue, dequeueCount: 5 }, async () => { throw new Error('boom'); }, h.deps), /boom/);
    assert.ok(h.log.lines.some((l) => l.includes('"job.poisoned"') && l.includes('boom')), 'the last attempt says it goes to the poison queue');

    await runJob({ v: 1, kind: 'job', nonsense: true }, trigger, async () => ({ outcome: 'done' }), h.deps);
    const poisoned = await h.deps.queues.peek(poisonQueueName(queue), 10);
    assert.equal(poisoned.length, 1, 'an unreadable message is put beside the poison messages at once');

    const audit = await listAudit(h.deps, h.siteId, key);
    const outcomes = audit.map((a) => a.outcome).sort();
    assert.deepEqual(outcomes, ['deferred', 'done', 'error', 'failed', 'parked']);
    assert.match(audit.find((a) => a.outcome === 'failed')!.detail!, /jira_not_found/);
    assert.match(audit.find((a) => a.outcome === 'parked')!.detail!, /re-authenticate at https:\/\/bridge\.example\.test\/api\/service-user\/start/);
  });

  it('a Graph 4xx ends the job with Graph\'s reason instead of being retried into the poison queue; a 5xx is still retried', async () => {
    const queue = uniqueName('q');
    const { key, chat } = await incidentWithChat();
    // A real Graph answer through the real client: 409 on the chat (e.g. a conflicting change).
    h.graph.failNext({ method: 'POST', pathPattern: '/chats/*/messages', status: 409, code: 'Conflict' });
    h.clock.advance(2);
    await runJob(job('chat-update', key), { queue, dequeueCount: 1 }, (j, c) => chatUpdateJob(j, c, h.deps), h.deps);
    let audit = await listAudit(h.deps, h.siteId, key);
    const failed = audit.find((a) => a.action === 'chat-update' && a.outcome === 'failed');
    assert.ok(failed, JSON.stringify(audit));
    assert.match(failed.detail!, /graph_409: Microsoft Graph refused POST \/chats\/.+\/messages with 409 Conflict/);
    assert.equal(failed.graphRequestIds?.length, 1, 'with the request id a support case needs');
    assert.equal(chat.messages.length, 1);

    h.graph.failNext({ method: 'POST', pathPattern: '/chats/*/messages', status: 500 });
    h.clock.advance(2);
    await assert.rejects(runJob(job('chat-update', key), { queue, dequeueCount: 1 }, (j, c) => chatUpdateJob(j, c, h.deps), h.deps), /500/);
    audit = await listAudit(h.deps, h.siteId, key);
    assert.ok(audit.some((a) => a.action === 'chat-update' && a.outcome === 'error'), 'a 5xx is left to the host to retry');
  });

  it('a chat deleted in Teams is recorded as gone (link row, audit, a note on the issue) and not silently recreated', async () => {
    const queue = uniqueName('q');
    const handler = chatJobHandler(h.deps);
    const { key, issue, chat } = await incidentWithChat();
    h.graph.chats.delete(chat.id);

    h.clock.advance(2);
    await runJob(job('chat-update', key), { queue, dequeueCount: 1 }, handler, h.deps);
    const row = await readChatLink(h.deps, h.siteId, issue.id);
    assert.ok(row?.goneAt, 'the link row says the chat is gone');
    assert.equal(row.chatId, chat.id, 'and which chat it was');
    let audit = await listAudit(h.deps, h.siteId, key);
    assert.match(audit.find((a) => a.action === 'chat-update')?.detail ?? '', /chat_gone: .*no longer exists/);
    const notes = () => h.jira.issue(key)!.comments.filter((c) => /no longer exists/.test(JSON.stringify(c.body)));
    assert.equal(notes().length, 1, 'the issue is told');
    assert.equal(notes()[0]!.jsdPublic, false, 'as an internal note');

    // A chat action for the issue afterwards ends with the reason instead of creating a new chat behind everyone's back.
    const creates = h.graph.count('POST', '/chats');
    await runJob(job('incident-chat', key), { queue, dequeueCount: 1 }, handler, h.deps);
    assert.equal(h.graph.count('POST', '/chats'), creates);
    audit = await listAudit(h.deps, h.siteId, key);
    assert.ok(audit.some((a) => a.action === 'incident-chat' && a.outcome === 'failed' && /chat_gone/.test(a.detail ?? '')), JSON.stringify(audit));
    await runJob(job('sync-members', key), { queue, dequeueCount: 1 }, handler, h.deps);
    assert.equal(notes().length, 1, 'noted once');
  });
});
