// Who ends up in an issue's chat: user lookups that fail for a moment, manual mappings given by UPN or e-mail,
// several Jira accounts for one person, member sync paced to Graph's 4 adds per minute per chat across concurrent
// jobs, and responder teams. In-process against Azurite and the fake Graph / Jira (which answers the fifth add of
// a minute with Graph's 429 + Retry-After, throttling-teams, ../shared/graph-contract.md §2).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ThrottledError } from '../../shared/errors.js';
import { ensureChatForIssue } from '../../shared/workflows/createChat.js';
import { syncMembersJob } from '../../shared/workflows/syncMembers.js';
import { runJob } from '../../shared/jobs/runJob.js';
import { listAudit } from '../../shared/jobs/audit.js';
import { jobMessageSchema, type JobMessage } from '../../shared/jobs/messages.js';
import { type Action } from '../../shared/actions.js';
import { listMappings, listUnmapped, saveMapping } from '../../shared/people/mapping.js';
import { settleMemberSlots, takeMemberSlots } from '../../shared/chats/memberPacing.js';
import type { FakeUser } from '../fakes/graph.js';
import type { FakeJiraUser } from '../fakes/jira.js';
import { uniqueName } from '../support/storage.js';
import { newJobId, startWorkflowHarness, type WorkflowHarness } from '../support/workflowHarness.js';

describe('people in chats: lookups, mappings, paced member sync, responder teams', () => {
  let h: WorkflowHarness;
  let next = 900;
  before(async () => {
    h = await startWorkflowHarness();
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  function person(name: string, jira: { emailVisible?: boolean } = {}): { graphUser: FakeUser; jiraUser: FakeJiraUser } {
    const mail = `${name.toLowerCase().replace(/\W+/g, '.')}.${randomUUID().slice(0, 6)}@contoso.example`;
    return { graphUser: h.graph.addUser({ displayName: name, mail }), jiraUser: h.jira.addUser({ displayName: name, emailAddress: mail, ...jira }) };
  }

  function job(action: Action, issueKey: string): JobMessage {
    return jobMessageSchema.parse({ v: 1, kind: 'job', jobId: newJobId(), action, siteId: h.siteId, issueKey, source: 'automation', params: {}, requestedAt: new Date().toISOString() });
  }

  function setParticipants(key: string, users: FakeJiraUser[]) {
    const issue = h.jira.issue(key)!;
    issue.participants = users.map((u) => u.accountId);
    issue.fields[h.jira.fieldIds.requestParticipants] = users.map((u) => ({ accountId: u.accountId }));
  }

  async function incidentWithChat(owner = person('Owner Olga')) {
    const key = `PPL-${next++}`;
    h.jira.addJsmIssue({ key, summary: `Incident ${key}`, assignee: owner.jiraUser, reporter: owner.jiraUser });
    await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: key, kind: 'incident', jobId: newJobId() });
    const chat = h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`))[0]!;
    return { key, chat, owner };
  }

  const memberAdds = (chatId: string) => h.graph.requestsTo('POST', `/chats/${chatId}/members`);
  const lookupsOf = (mail: string) => h.graph.requestsTo('GET', '/users').filter((r) => (r.query.$filter ?? '').toLowerCase().includes(mail.toLowerCase()));

  for (const status of [503, 429]) {
    it(`a ${status} inside the user-lookup $batch sends the job back to wait, keeps the person, and is not remembered as "no such user"`, async () => {
      // Olga is mapped already (her first chat), so the only lookup of the next chat is Bea's.
      const { owner } = await incidentWithChat();
      const bea = person('Bea Busy');
      const key = `PPL-${next++}`;
      h.jira.addJsmIssue({ key, summary: `Lookup ${status}`, assignee: owner.jiraUser, reporter: owner.jiraUser, participants: [bea.jiraUser] });

      // The real $batch shape: outer 200, the inner response carries the status, Retry-After and Graph's error body.
      h.graph.failNext({ method: 'GET', pathPattern: '/users', status, retryAfterSeconds: 7 });
      const first = await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: key, kind: 'incident', jobId: newJobId() }).catch((e: unknown) => e);
      assert.ok(first instanceof ThrottledError, `the job waits and tries again, got ${String(first)}`);
      assert.equal(first.retryAfterSeconds, 7, "Graph's inner Retry-After is honoured");
      const inner = h.graph.requests.find((r) => r.batch && r.status === status);
      assert.ok(inner, 'the failure came inside the $batch');
      assert.equal(h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`)).length, 0, 'no chat without Bea');
      const unmapped = await listUnmapped(h.deps, h.graph.tenantId);
      assert.ok(!unmapped.some((u) => u.accountId === bea.jiraUser.accountId), 'a failure that may pass is not a "no such user"');
      assert.equal(h.jira.issue(key)!.comments.length, 0, 'and is not reported as unmappable');

      // The retry (after the first attempt's reservation lease) looks her up again and she is in the chat.
      h.clock.advance(121);
      const before = lookupsOf(bea.graphUser.mail!).length;
      await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: key, kind: 'incident', jobId: newJobId() });
      assert.ok(lookupsOf(bea.graphUser.mail!).length > before, 'looked up again, not answered from a cache');
      const chat = h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`))[0]!;
      assert.ok(chat.members.some((m) => m.userId === bea.graphUser.id), 'Bea is in the chat');
      assert.equal(h.jira.issue(key)!.comments.length, 0, 'nobody is reported');
    });
  }

  it('a definite "no such user" is remembered: the next update does not look the person up again', async () => {
    const { key } = await incidentWithChat();
    const ghost = h.jira.addUser({ displayName: 'Gus Ghost', emailAddress: `gus.${randomUUID().slice(0, 6)}@elsewhere.example` });
    setParticipants(key, [ghost]);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    const looked = lookupsOf(ghost.emailAddress!).length;
    assert.equal(looked, 3, 'mail, proxyAddresses, otherMails');
    const unmapped = await listUnmapped(h.deps, h.graph.tenantId);
    assert.match(unmapped.find((u) => u.accountId === ghost.accountId)!.reason, /no Microsoft 365 user has their Jira e-mail/);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.equal(lookupsOf(ghost.emailAddress!).length, looked, 'answered from the negative cache');
  });

  it('a manual mapping given by UPN is resolved to the object id once and the person is not added again on every sync', async () => {
    const { key, chat } = await incidentWithChat();
    const quinn = person('Quiet Quinn', { emailVisible: false });
    await saveMapping(h.deps, h.graph.tenantId, {
      accountId: quinn.jiraUser.accountId,
      entraObjectId: quinn.graphUser.userPrincipalName,
      userPrincipalName: quinn.graphUser.userPrincipalName,
      isGuest: false,
      source: 'manual',
    });
    setParticipants(key, [quinn.jiraUser]);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.ok(chat.members.some((m) => m.userId === quinn.graphUser.id), 'added once');
    const adds = memberAdds(chat.id).length;
    h.clock.advance(61);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.equal(memberAdds(chat.id).length, adds, 'already a member: no further POST …/members');
    const stored = (await listMappings(h.deps, h.graph.tenantId)).find((m) => m.accountId === quinn.jiraUser.accountId)!;
    assert.equal(stored.entraObjectId, quinn.graphUser.id, 'the object id is stored');
    assert.equal(stored.source, 'manual', 'still a manual mapping');
    h.clock.advance(61);
  });

  it('a manual mapping given by an e-mail address that is not the UPN is resolved too; one naming nobody is reported', async () => {
    const { key, chat } = await incidentWithChat();
    const eve = h.graph.addUser({ displayName: 'Eve Alias', userPrincipalName: `eve.${randomUUID().slice(0, 6)}@contoso.onmicrosoft.com`, mail: `eve.${randomUUID().slice(0, 6)}@contoso.example` });
    const jiraEve = h.jira.addUser({ displayName: 'Eve Alias', emailAddress: eve.mail!, emailVisible: false });
    const nobody = h.jira.addUser({ displayName: 'Nora Nobody', emailAddress: 'nora@contoso.example', emailVisible: false });
    await saveMapping(h.deps, h.graph.tenantId, { accountId: jiraEve.accountId, entraObjectId: eve.mail!, userPrincipalName: eve.mail!, isGuest: false, source: 'manual' });
    await saveMapping(h.deps, h.graph.tenantId, { accountId: nobody.accountId, entraObjectId: 'nora@contoso.example', userPrincipalName: 'nora@contoso.example', isGuest: false, source: 'manual' });
    setParticipants(key, [jiraEve, nobody]);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.ok(chat.members.some((m) => m.userId === eve.id));
    const note = JSON.stringify(h.jira.issue(key)!.comments.at(-1)?.body);
    assert.match(note, /Nora Nobody/);
    assert.match(note, /manual mapping names nora@contoso\.example/);
    h.clock.advance(61);
  });

  it('one person behind several Jira accounts is added once', async () => {
    const { key, chat } = await incidentWithChat();
    const sam = person('Sam Twice');
    const customerSam = h.jira.addUser({ displayName: 'Sam (customer)', emailAddress: sam.graphUser.mail!, accountType: 'customer' });
    const hiddenSam = h.jira.addUser({ displayName: 'Sam (old account)', emailVisible: false, emailAddress: 'sam.old@contoso.example' });
    await saveMapping(h.deps, h.graph.tenantId, { accountId: hiddenSam.accountId, entraObjectId: sam.graphUser.id, isGuest: false, source: 'manual' });
    setParticipants(key, [sam.jiraUser, customerSam, hiddenSam]);
    const before = memberAdds(chat.id).length;
    const result = await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.equal(result.outcome, 'done');
    assert.equal(memberAdds(chat.id).length - before, 1, 'one POST …/members for Sam');
    assert.equal(chat.members.filter((m) => m.userId === sam.graphUser.id).length, 1);
    h.clock.advance(61);
  });

  it('concurrent sync jobs for one chat share the 4-adds-per-minute budget: no 429, no duplicate adds, the rest waits in the queue', async () => {
    const { key, chat } = await incidentWithChat();
    const six = Array.from({ length: 6 }, (_, i) => person(`Racer ${i}`));
    setParticipants(key, six.map((p) => p.jiraUser));
    // Map them first (one sync run that gets no slot would still look them up), so the race is about the adds.
    const queue = uniqueName('q');
    const run = (jobId = newJobId()) => runJob({ ...job('sync-members', key), jobId }, { queue, dequeueCount: 1 }, (j, c) => syncMembersJob(j, c, h.deps), h.deps);
    const throttledBefore = h.graph.requests.filter((r) => r.status === 429).length;

    await Promise.all([run(), run(), run()]);
    assert.equal(h.graph.requests.filter((r) => r.status === 429).length, throttledBefore, 'Graph never had to refuse an add');
    assert.equal(memberAdds(chat.id).length, 4, 'four adds in the first minute, across all three jobs');
    assert.equal(chat.members.length, 1 + 1 + 4);
    assert.ok((await h.deps.queues.approximateCount(queue)) >= 1, 'what is left waits on the queue');
    const deferred = await h.deps.queues.receive(queue, 32, 1);
    assert.equal(deferred.length, 0, 'invisible until the minute is over (visibility delay, no sleeping)');

    h.clock.advance(61);
    await Promise.all([run(), run()]);
    assert.equal(h.graph.requests.filter((r) => r.status === 429).length, throttledBefore);
    assert.equal(memberAdds(chat.id).length, 6, 'each missing person added exactly once');
    for (const p of six) assert.equal(chat.members.filter((m) => m.userId === p.graphUser.id).length, 1);
    const audit = await listAudit(h.deps, h.siteId, key);
    assert.ok(audit.some((a) => a.outcome === 'deferred' && /4-per-minute/.test(a.detail ?? '')));
    h.clock.advance(61);
  });

  it('the per-chat slots: a change another worker is sending waits, one it made is skipped, a refused one may be tried again', async () => {
    const chatId = `19:${randomUUID().replace(/-/g, '')}@thread.v2`;
    const [x, y, z] = [randomUUID(), randomUUID(), randomUUID()];
    const a = await takeMemberSlots(h.deps, h.graph.tenantId, chatId, [{ op: 'add', userId: x }, { op: 'add', userId: y }]);
    assert.equal(a.granted.length, 2);
    const b = await takeMemberSlots(h.deps, h.graph.tenantId, chatId, [{ op: 'add', userId: x }, { op: 'add', userId: z }]);
    assert.deepEqual(b.takenByOthers.map((t) => t.userId), [x], 'x is being added by the first worker');
    assert.deepEqual(b.granted.map((g) => g.userId), [z]);
    await settleMemberSlots(h.deps, h.graph.tenantId, chatId, [{ op: 'add', userId: x, state: 'done' }, { op: 'add', userId: y, state: 'refused' }]);
    const c = await takeMemberSlots(h.deps, h.graph.tenantId, chatId, [{ op: 'add', userId: x }, { op: 'add', userId: y }, { op: 'remove', userId: x }]);
    assert.deepEqual(c.doneByOthers.map((d) => d.userId), [x], 'x was added moments ago: not again');
    assert.deepEqual(c.granted.map((g) => `${g.op}|${g.userId}`), [`add|${y}`, `remove|${x}`], 'the fourth add slot, and removals have their own budget');
    const d = await takeMemberSlots(h.deps, h.graph.tenantId, chatId, [{ op: 'add', userId: randomUUID() }]);
    assert.equal(d.granted.length, 0, 'four adds in this minute');
    assert.ok(d.retryAfterSeconds! > 55 && d.retryAfterSeconds! <= 60, `until the oldest slot frees: ${d.retryAfterSeconds}`);
    h.clock.advance(61);
    assert.equal((await takeMemberSlots(h.deps, h.graph.tenantId, chatId, [{ op: 'add', userId: randomUUID() }])).granted.length, 1);
    h.clock.advance(61);
  });

  it('a 429 Graph sends anyway (another app used the chat budget) makes every job for that chat wait', async () => {
    const { key, chat } = await incidentWithChat();
    const two = [person('Late Lee'), person('Late Lou')];
    setParticipants(key, two.map((p) => p.jiraUser));
    h.graph.failNext({ method: 'POST', pathPattern: `/chats/${chat.id}/members`, status: 429, retryAfterSeconds: 30 });
    const first = await syncMembersJob(job('sync-members', key), h.context(), h.deps).catch((e: unknown) => e);
    assert.ok(first instanceof ThrottledError);
    assert.equal(first.retryAfterSeconds, 30);
    const second = await syncMembersJob(job('sync-members', key), h.context(), h.deps).catch((e: unknown) => e);
    assert.ok(second instanceof ThrottledError, 'another job waits too instead of earning its own 429');
    assert.equal(h.graph.requestsTo('POST', `/chats/${chat.id}/members`).length, 1);
    h.clock.advance(31);
    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    for (const p of two) assert.ok(chat.members.some((m) => m.userId === p.graphUser.id));
    h.clock.advance(61);
  });

  it('responder teams are named in the unmapped report with the reason, responder users are added', async () => {
    const owner = person('Owner Tom');
    const rita = person('Responder Rita');
    const key = `PPL-${next++}`;
    const teamId = randomUUID();
    h.jira.addJsmIssue({ key, summary: 'Team responders', assignee: owner.jiraUser, reporter: owner.jiraUser, responders: [rita.jiraUser, { teamId, name: 'Payments On-call' }] });
    await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: key, kind: 'incident', jobId: newJobId() });
    const chat = h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`))[0]!;
    assert.ok(chat.members.some((m) => m.userId === rita.graphUser.id));
    const comments = h.jira.issue(key)!.comments;
    assert.equal(comments.length, 1, 'the issue says the team is not in the chat');
    const note = JSON.stringify(comments[0]!.body);
    assert.match(note, /Team Payments On-call/);
    assert.match(note, /responder team/);
    assert.doesNotMatch(note, new RegExp(`invitation=[^ ]*team`), 'a team gets no self-link invitation');
    assert.equal((note.match(/self-link/g) ?? []).length, 0);
    const unmapped = await listUnmapped(h.deps, h.graph.tenantId);
    assert.ok(unmapped.some((u) => u.accountId === `team:${teamId}` && /responder team/.test(u.reason)), 'the admin list names the team');

    await syncMembersJob(job('sync-members', key), h.context(), h.deps);
    assert.equal(h.jira.issue(key)!.comments.length, 1, 'reported once');
  });
});
