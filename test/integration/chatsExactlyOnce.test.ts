// Exactly one chat per (site, issue, kind), whatever repeats: workers racing, the queue delivering the same
// message twice at once, a crash between POST /chats and saving the link (with and without the chance to say so),
// a crash after the first message; plus throttling, refused members, guests and odd summaries. In-process against
// real Azurite and the fake Graph and Jira, with a controllable clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ThrottledError, PermanentError } from '../../shared/errors.js';
import { GraphRequestError } from '../../shared/graph/client.js';
import { readChatLink } from '../../shared/chats/chatLinks.js';
import { createChatJob, ensureChatForIssue, abandonedGraceSeconds, reservationLeaseSeconds } from '../../shared/workflows/createChat.js';
import { deleteEntity, insertEntity, replaceIfMatch, tableNames } from '../../shared/storage/tables.js';
import { queueNames } from '../../shared/storage/queues.js';
import { jobMessageSchema, type JobMessage } from '../../shared/jobs/messages.js';
import { syncMembersJob } from '../../shared/workflows/syncMembers.js';
import { newJobId, startWorkflowHarness, type WorkflowHarness } from '../support/workflowHarness.js';

describe('exactly one chat per issue', () => {
  let h: WorkflowHarness;
  let next = 100;
  before(async () => {
    h = await startWorkflowHarness();
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  /** A JSM incident with an assignee and a responder whose e-mails map to tenant users. */
  function newIncident(summary = 'Database down') {
    const key = `INC-${next++}`;
    const agent = h.graph.addUser({ displayName: `Agent ${key}`, mail: `agent.${key.toLowerCase()}@contoso.example` });
    const jiraAgent = h.jira.addUser({ displayName: agent.displayName, emailAddress: agent.mail!, emailVisible: true });
    const issue = h.jira.addJsmIssue({ key, summary, assignee: jiraAgent });
    return { key, issue, agent };
  }
  const request = (key: string, jobId = newJobId()) => ({ siteId: h.siteId, issueKey: key, kind: 'incident' as const, jobId });
  const chatsOf = (key: string) => h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`));
  const chatJob = (action: 'incident-chat' | 'chat' | 'epic-chat', key: string) =>
    jobMessageSchema.parse({ v: 1, kind: 'job', jobId: newJobId(), action, siteId: h.siteId, issueKey: key, source: 'automation', requestedAt: new Date().toISOString() });

  it('two workers racing for the same issue create one chat; the loser waits and then finds it', async () => {
    const { key } = newIncident();
    h.graph.delay(300, { method: 'POST', pathPattern: '/chats' });
    const results = await Promise.allSettled([ensureChatForIssue(h.deps, h.context(), request(key)), ensureChatForIssue(h.deps, h.context(), request(key))]);
    h.graph.delay(0);
    const created = results.filter((r) => r.status === 'fulfilled');
    const waiting = results.filter((r) => r.status === 'rejected');
    assert.equal(created.length, 1);
    assert.equal(waiting.length, 1);
    assert.ok((waiting[0] as PromiseRejectedResult).reason instanceof ThrottledError, 'the loser goes back to the queue');
    assert.ok(((waiting[0] as PromiseRejectedResult).reason as ThrottledError).retryAfterSeconds <= 10, 'and checks again soon');

    const again = await ensureChatForIssue(h.deps, h.context(), request(key));
    assert.equal(again.created, false);
    assert.equal(chatsOf(key).length, 1);
    assert.equal(chatsOf(key)[0]!.messages.length, 1);
  });

  it('one chat per issue whatever Automation sends: a generic `chat` action on an issue with its incident chat reuses it and says so', async () => {
    const { key } = newIncident();
    const first = await createChatJob(chatJob('incident-chat', key), h.context(), h.deps);
    assert.match(first.detail ?? '', /created chat/);
    const second = await createChatJob(chatJob('chat', key), h.context(), h.deps);
    assert.equal(second.outcome, 'done');
    assert.match(second.detail ?? '', /reused the incident chat/);
    await createChatJob(chatJob('epic-chat', key), h.context(), h.deps);
    assert.equal(chatsOf(key).length, 1);
    assert.equal(chatsOf(key)[0]!.messages.length, 1, 'no second first message either');
    assert.equal(h.jira.issue(key)!.remoteLinks.length, 1);
  });

  it('two different chat kinds racing for the same issue still make one chat', async () => {
    const { key } = newIncident();
    h.graph.delay(300, { method: 'POST', pathPattern: '/chats' });
    const results = await Promise.allSettled([
      createChatJob(chatJob('incident-chat', key), h.context(), h.deps),
      createChatJob(chatJob('chat', key), h.context(), h.deps),
    ]);
    h.graph.delay(0);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(loser.reason instanceof ThrottledError, String(loser.reason));
    await createChatJob(chatJob('chat', key), h.context(), h.deps);
    assert.equal(chatsOf(key).length, 1);
  });

  it('a chat linked by an earlier version (one row per issue and kind) is reused, not created again', async () => {
    const { key, issue } = newIncident();
    await ensureChatForIssue(h.deps, h.context(), request(key));
    // Move the row to the key earlier versions used: `<issue id>|<kind>`.
    const table = await h.deps.tables.table(tableNames.chatLinks);
    const row = (await readChatLink(h.deps, h.siteId, issue.id))!;
    const { partitionKey, rowKey, etag: _etag, ...rest } = row;
    assert.equal(rowKey, issue.id);
    await insertEntity(table, partitionKey, `${issue.id}|incident`, rest);
    await deleteEntity(table, partitionKey, rowKey);
    const again = await createChatJob(chatJob('chat', key), h.context(), h.deps);
    assert.match(again.detail ?? '', /reused the incident chat/);
    assert.equal(chatsOf(key).length, 1);
  });

  it('the same message delivered twice at the same time creates one chat', async () => {
    const { key } = newIncident();
    const same = request(key);
    h.graph.delay(300, { method: 'POST', pathPattern: '/chats' });
    const results = await Promise.allSettled([ensureChatForIssue(h.deps, h.context(), same), ensureChatForIssue(h.deps, h.context(), same)]);
    h.graph.delay(0);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    await ensureChatForIssue(h.deps, h.context(), same);
    assert.equal(chatsOf(key).length, 1);
  });

  it('a crash between POST /chats and saving the link is recovered by adopting the chat, not creating another', async () => {
    const { key, issue } = newIncident();
    const job = request(key);
    // Graph creates the chat, then the connection dies before the answer reaches the worker.
    h.graph.dropConnectionAfter({ method: 'POST', pathPattern: '/chats' });
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job));
    assert.equal(chatsOf(key).length, 1, 'Graph did create it');
    const row = await readChatLink(h.deps, h.siteId, issue.id);
    assert.equal(row?.state, 'creating');
    assert.ok(row?.abandonedAt, 'the attempt said it gave up without knowing');

    // The queue's retry comes a few seconds later: within the grace it waits...
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job), ThrottledError);
    // ...after it, it looks for the chat and adopts it.
    h.clock.advance(abandonedGraceSeconds + 1);
    const recovered = await ensureChatForIssue(h.deps, h.context(), job);
    assert.equal(recovered.created, false);
    assert.equal(chatsOf(key).length, 1, 'no second chat');
    assert.equal(recovered.chatId, chatsOf(key)[0]!.id);
    assert.equal(chatsOf(key)[0]!.messages.length, 1, 'the first message is posted once');
    assert.ok(h.log.lines.some((l) => l.includes('"chat.recovered"')));
    assert.equal(h.jira.issue(key)!.remoteLinks.length, 1);
  });

  it('a process that died mid-creation without a word is recovered once its lease runs out', async () => {
    const { key, issue } = newIncident();
    const job = request(key);
    h.graph.dropConnectionAfter({ method: 'POST', pathPattern: '/chats' });
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job));
    // Make it look like the process died before it could mark the reservation abandoned.
    const table = await h.deps.tables.table(tableNames.chatLinks);
    const row = (await readChatLink(h.deps, h.siteId, issue.id))!;
    const { partitionKey, rowKey, etag, abandonedAt: _gone, ...rest } = row;
    assert.ok((await replaceIfMatch(table, partitionKey, rowKey, rest, etag)).ok);

    // Another delivery of the event (a new job) waits while the lease may still protect a live worker.
    h.clock.advance(abandonedGraceSeconds + 1);
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), request(key)), ThrottledError);
    h.clock.advance(reservationLeaseSeconds);
    const recovered = await ensureChatForIssue(h.deps, h.context(), request(key));
    assert.equal(recovered.created, false);
    assert.equal(chatsOf(key).length, 1);
  });

  it('a crash after the first message was posted does not post it again', async () => {
    const { key } = newIncident();
    const job = request(key);
    h.graph.dropConnectionAfter({ method: 'POST', pathPattern: '/chats/*/messages' });
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job));
    await ensureChatForIssue(h.deps, h.context(), job);
    assert.equal(chatsOf(key).length, 1);
    assert.equal(chatsOf(key)[0]!.messages.length, 1);
  });

  it('a 503 on POST /chats is not retried inline (no duplicate), and the job goes back to the queue', async () => {
    const { key } = newIncident();
    const before = h.graph.count('POST', '/chats');
    h.graph.failNext({ method: 'POST', pathPattern: '/chats', status: 503, retryAfterSeconds: 1 });
    const error = await ensureChatForIssue(h.deps, h.context(), request(key)).catch((e: unknown) => e);
    assert.ok(error instanceof ThrottledError);
    assert.equal(h.graph.count('POST', '/chats') - before, 1, 'one POST, no inline replay');
    h.clock.advance(abandonedGraceSeconds + 1);
    await ensureChatForIssue(h.deps, h.context(), request(key));
    assert.equal(chatsOf(key).length, 1);
  });

  it('a failure after reserving but before POST /chats (a 503 on the user lookups) releases the reservation: the retry does not wait on itself', async () => {
    const { key, issue } = newIncident();
    const job = request(key);
    h.graph.failNext({ method: 'POST', pathPattern: '/$batch', status: 503, retryAfterSeconds: 2 });
    const error = await ensureChatForIssue(h.deps, h.context(), job).catch((e: unknown) => e);
    assert.ok(error instanceof ThrottledError, String(error));
    assert.equal(error.retryAfterSeconds, 2);
    assert.equal((await readChatLink(h.deps, h.siteId, issue.id))?.released, true, 'no chat was created, and the row says so');
    // The queue brings the job back after Graph's 2 seconds, long before any lease or grace would have run out.
    h.clock.advance(2);
    const retried = await ensureChatForIssue(h.deps, h.context(), job);
    assert.equal(retried.created, true);
    assert.equal(chatsOf(key).length, 1);
  });

  it('the unmapped-people report survives a deferral of the run that created the chat', async () => {
    const { key } = newIncident();
    const hidden = h.jira.addUser({ displayName: 'Hidden Hana', emailAddress: 'hana@contoso.example', emailVisible: false });
    const issue = h.jira.issue(key)!;
    issue.participants = [hidden.accountId];
    issue.fields[h.jira.fieldIds.requestParticipants] = [{ accountId: hidden.accountId }];
    const job = request(key);
    // The chat is created, then Graph throttles the first message for longer than a function should wait.
    h.graph.failNext({ method: 'POST', pathPattern: '/chats/*/messages', status: 429, retryAfterSeconds: 120 });
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job), ThrottledError);
    assert.equal(chatsOf(key).length, 1);

    h.clock.advance(120);
    await ensureChatForIssue(h.deps, h.context(), job);
    const notes = h.jira.issue(key)!.comments.filter((c) => JSON.stringify(c.body).includes('Hidden Hana'));
    assert.equal(notes.length, 1, 'the retry still reports who could not be added');
    await ensureChatForIssue(h.deps, h.context(), job);
    assert.equal(h.jira.issue(key)!.comments.filter((c) => JSON.stringify(c.body).includes('Hidden Hana')).length, 1, 'once');
  });

  it('a 429 with a short Retry-After is waited out inline; a long one goes back to the queue with that delay', async () => {
    const short = newIncident();
    h.graph.failNext({ method: 'POST', pathPattern: '/chats', status: 429, retryAfterSeconds: 1 });
    await ensureChatForIssue(h.deps, h.context(), request(short.key));
    assert.equal(chatsOf(short.key).length, 1);

    const long = newIncident();
    h.graph.failNext({ method: 'POST', pathPattern: '/chats', status: 429, retryAfterSeconds: 120 });
    const error = await ensureChatForIssue(h.deps, h.context(), request(long.key)).catch((e: unknown) => e);
    assert.ok(error instanceof ThrottledError);
    assert.equal(error.retryAfterSeconds, 120);
    assert.equal(chatsOf(long.key).length, 0);
  });

  it('a long or odd summary never fails: the topic is cut to 250 characters without ":"', async () => {
    const { key } = newIncident(`Outage: ${'x'.repeat(400)}\u202e\n:::`);
    await ensureChatForIssue(h.deps, h.context(), request(key));
    const topic = chatsOf(key)[0]!.topic!;
    assert.ok([...topic].length <= 250);
    assert.ok(!topic.includes(':'));
    assert.ok(topic.startsWith(`[${key}] Outage -`));
  });

  it('a summary with emoji is cut to 250 UTF-16 units, as Graph counts, and the chat is created', async () => {
    const { key } = newIncident(`Checkout down ${'🔥'.repeat(200)}`);
    const chat = await ensureChatForIssue(h.deps, h.context(), request(key));
    assert.equal(chat.created, true);
    const topic = chatsOf(key)[0]!.topic!;
    assert.ok(topic.length <= 250, `${topic.length} UTF-16 units`);
    assert.ok(topic.startsWith(`[${key}] Checkout down 🔥`));
  });

  it('a 400 on POST /chats that does not name a member is not "members refused": no retry one by one, the reason is Graph\'s', async () => {
    const { key, issue } = newIncident();
    const before = h.graph.count('POST', '/chats');
    h.graph.failNext({ method: 'POST', pathPattern: '/chats', status: 400, code: 'BadRequest' });
    const error = await ensureChatForIssue(h.deps, h.context(), request(key)).catch((e: unknown) => e);
    assert.ok(error instanceof GraphRequestError, String(error));
    assert.equal(error.status, 400);
    assert.equal(h.graph.count('POST', '/chats') - before, 1, 'the people are not tried one by one');
    assert.equal(chatsOf(key).length, 0);
    // Graph refused the create, so nothing was created: the reservation is released at once, not left to a lease.
    assert.equal((await readChatLink(h.deps, h.siteId, issue.id))?.released, true);
  });

  it('one member Graph refuses does not cost the others the chat: they are added, the refusal is reported', async () => {
    const key = `INC-${next++}`;
    const blocked = h.graph.addUser({ displayName: 'Blocked Person', mail: 'blocked@contoso.example' });
    const fine = h.graph.addUser({ displayName: 'Fine Person', mail: 'fine@contoso.example' });
    h.graph.failMemberAdd(blocked.id);
    const jBlocked = h.jira.addUser({ displayName: 'Blocked Person', emailAddress: 'blocked@contoso.example' });
    const jFine = h.jira.addUser({ displayName: 'Fine Person', emailAddress: 'fine@contoso.example' });
    h.jira.addJsmIssue({ key, summary: 'Refused member', assignee: jBlocked, responders: [jFine] });
    const chat = await ensureChatForIssue(h.deps, h.context(), request(key)).catch((e: unknown) => e);
    if (chat instanceof PermanentError) assert.fail(`job failed: ${chat.message}`);
    const created = chatsOf(key)[0]!;
    assert.ok(created.members.some((m) => m.userId === fine.id), 'the others are in the chat');
    assert.ok(!created.members.some((m) => m.userId === blocked.id));

    // The refused person is tried once more on their own by the member sync the creation queued, and reported.
    const queued = await h.deps.queues.receive(queueNames.memberJobs, 32, 30);
    const sync = queued.map((m) => m.body as JobMessage).find((m) => m.issueKey === key && m.action === 'sync-members');
    assert.ok(sync, 'a member sync was queued for the people left out');
    const result = await syncMembersJob(jobMessageSchema.parse(sync), h.context(), h.deps);
    assert.match(result.detail ?? '', /refused 1/);
    const reports = h.jira.issue(key)!.comments.filter((c) => JSON.stringify(c.body).includes('Blocked Person'));
    assert.equal(reports.length, 1, 'reported once');
    assert.equal(reports[0]!.jsdPublic, false, 'as an internal note');
    assert.match(JSON.stringify(reports[0]!.body), /RosterAddMemberBlocked/);
    await syncMembersJob(jobMessageSchema.parse(sync), h.context(), h.deps);
    assert.equal(h.jira.issue(key)!.comments.filter((c) => JSON.stringify(c.body).includes('Blocked Person')).length, 1, 'not reported again');
  });

  it('guests are added with the guest role', async () => {
    const key = `INC-${next++}`;
    const guest = h.graph.addGuest({ displayName: 'Gina Guest', mail: 'gina@partner.example' });
    const jGuest = h.jira.addUser({ displayName: 'Gina Guest', emailAddress: 'gina@partner.example' });
    h.jira.addJsmIssue({ key, summary: 'Partner outage', assignee: jGuest });
    await ensureChatForIssue(h.deps, h.context(), request(key));
    const member = chatsOf(key)[0]!.members.find((m) => m.userId === guest.id);
    assert.deepEqual(member?.roles, ['guest']);
  });

  it('people mapped once need no lookup the next time', async () => {
    const first = newIncident();
    await ensureChatForIssue(h.deps, h.context(), request(first.key));
    // (newIncident's reporter is a customer with no Microsoft 365 account: looked up once, then remembered.)
    const before = h.graph.count('POST', '/$batch');
    const jiraAgent = [...h.jira.users.values()].find((u) => u.displayName === first.agent.displayName)!;
    const key = `INC-${next++}`;
    h.jira.addJsmIssue({ key, summary: 'Same people', assignee: jiraAgent, reporter: jiraAgent });
    await ensureChatForIssue(h.deps, h.context(), request(key));
    assert.equal(h.graph.count('POST', '/$batch'), before, 'no $batch lookup for an already mapped person');
    assert.ok(chatsOf(key)[0]!.members.some((m) => m.userId === first.agent.id));

    // Someone whose e-mail matches no one is not looked up again on the next issue either (for a day).
    const customer = [...h.jira.users.values()].find((u) => u.emailAddress === 'casey@customer.example')!;
    const third = `INC-${next++}`;
    h.jira.addJsmIssue({ key: third, summary: 'Customer again', assignee: jiraAgent, reporter: customer });
    await ensureChatForIssue(h.deps, h.context(), request(third));
    const fourth = `INC-${next++}`;
    h.jira.addJsmIssue({ key: fourth, summary: 'Customer once more', assignee: jiraAgent, reporter: customer });
    const beforeFourth = h.graph.count('POST', '/$batch');
    await ensureChatForIssue(h.deps, h.context(), request(fourth));
    assert.equal(h.graph.count('POST', '/$batch'), beforeFourth, 'a recent miss is remembered');
  });
});
