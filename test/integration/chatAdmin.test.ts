// Over real HTTP against the local host: Automation firing twice, the queue delivering one message twice, the dry
// run, manual user mappings with CSV, and poison messages listed and replayed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { queueClient } from '../support/storage.js';
import { encodeMessage } from '../../shared/storage/queueAccess.js';
import { startBridge, type Bridge } from '../support/bridge.js';
import { webhookFor } from '../support/jiraPayloads.js';
import { waitFor } from '../support/wait.js';

describe('chats over HTTP: repeats, dry run, mappings, poison replay', () => {
  let bridge: Bridge;
  before(async () => {
    bridge = await startBridge();
    await bridge.configureProject('OPS');
  });
  after(async () => {
    if (process.env.SHOW_APP_LOGS) console.log(bridge.app.logs.filter((l) => /"level":"(warn|error)"|job\.|Executed .*Failed/.test(l)).join('\n'));
    bridge.graph.assertNoViolations();
    await bridge?.stop();
  });

  function incident(key: string, summary = 'Payments failing') {
    const agent = bridge.graph.addUser({ displayName: `Agent ${key}`, mail: `agent.${key.toLowerCase()}@contoso.example` });
    const jiraAgent = bridge.jira.addUser({ displayName: agent.displayName, emailAddress: agent.mail! });
    return { issue: bridge.jira.addJsmIssue({ key, summary, assignee: jiraAgent, reporter: jiraAgent }), agent, jiraAgent };
  }

  it('Automation firing twice creates one chat', async () => {
    incident('OPS-1');
    const [a, b] = await Promise.all([bridge.automation('incident-chat', { issueKey: 'OPS-1' }), bridge.automation('incident-chat', { issueKey: 'OPS-1' })]);
    assert.equal(a.status, 202, JSON.stringify(a.body));
    assert.equal(b.status, 202);
    assert.notEqual(a.body.jobId, b.body.jobId);
    await bridge.app.waitForIdle(undefined, 40_000);
    assert.equal(bridge.graph.chatsWithTopic(/OPS-1\]/).length, 1);
    assert.equal(bridge.jira.issue('OPS-1')!.remoteLinks.length, 1);
  });

  it('the queue delivering the same job twice creates one chat', async () => {
    incident('OPS-2');
    const job = { v: 1, kind: 'job', jobId: 'same-job-twice', action: 'incident-chat', siteId: bridge.siteId, issueKey: 'OPS-2', source: 'automation', params: {}, requestedAt: new Date().toISOString() };
    const queue = queueClient('chat-jobs');
    await Promise.all([queue.sendMessage(encodeMessage(job)), queue.sendMessage(encodeMessage(job))]);
    await bridge.app.waitForIdle(undefined, 40_000);
    assert.equal(bridge.graph.chatsWithTopic(/OPS-2\]/).length, 1);
    const audit = await bridge.admin('GET', `audit/${bridge.siteId}/OPS-2`);
    assert.equal(audit.status, 200);
    assert.ok(audit.body.entries.some((e: { outcome: string; graphRequestIds: string[] }) => e.outcome === 'done' && e.graphRequestIds.length > 0), 'audited with Graph request ids');
  });

  it('the dry run shows topic, members, unmapped people and Graph calls, and writes nothing', async () => {
    const { issue, jiraAgent } = incident('OPS-3', 'Dry <run>');
    const hidden = bridge.jira.addUser({ displayName: 'Hidden Harry', emailAddress: 'harry@contoso.example', emailVisible: false });
    issue.participants = [hidden.accountId];
    issue.fields[bridge.jira.fieldIds.requestParticipants] = [{ accountId: hidden.accountId }];
    const requestsBefore = bridge.graph.requests.length;
    const webhook = webhookFor({ id: issue.id, key: issue.key, fields: { ...issue.fields, issuetype: { name: '[System] Incident' }, project: { key: 'OPS' } } });
    const r = await bridge.admin('POST', 'dry-run', { siteId: bridge.siteId, webhook });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.outcome, 'would-act');
    const action = r.body.actions[0];
    assert.equal(action.action, 'incident-chat');
    assert.equal(action.topic, '[OPS-3] Dry <run>');
    assert.ok(action.members.some((m: { accountId: string }) => m.accountId === jiraAgent.accountId));
    assert.deepEqual(action.unmapped, [hidden.accountId]);
    assert.deepEqual(action.graphCalls, ['POST /$batch (1 user lookup)', 'POST /chats (members inline)', 'POST /chats/{id}/messages']);
    assert.equal(bridge.graph.requests.length, requestsBefore, 'no Graph call');
    assert.equal(bridge.graph.chatsWithTopic(/OPS-3\]/).length, 0);

    const worklog = await bridge.admin('POST', 'dry-run', { siteId: bridge.siteId, webhook: { webhookEvent: 'worklog_updated' } });
    assert.equal(worklog.status, 200);
    assert.equal(worklog.body.outcome, 'ignored', 'as the live path acknowledges it');

    const bad = await bridge.admin('POST', 'dry-run', { siteId: bridge.siteId });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /exactly one of webhook or automation/);
  });

  it('manual mappings put hidden-e-mail people into chats; CSV round-trips; the unmapped list says why', async () => {
    const tenant = bridge.tenantId;
    const hidden = bridge.jira.addUser({ displayName: 'Quiet Quinn', emailAddress: 'quinn@contoso.example', emailVisible: false });
    const quinn = bridge.graph.addUser({ displayName: 'Quiet Quinn', mail: 'quinn@contoso.example' });
    bridge.jira.addJsmIssue({ key: 'OPS-4', summary: 'Hidden people', assignee: hidden, reporter: hidden });
    await bridge.automation('incident-chat', { issueKey: 'OPS-4' });
    await bridge.app.waitForIdle(undefined, 40_000);

    assert.equal(bridge.graph.chatsWithTopic(/OPS-4\]/).length, 0, 'no chat with nobody in it');
    const note = bridge.jira.issue('OPS-4')!.comments;
    assert.equal(note.length, 1, 'the issue says who could not be mapped');
    const audit = await bridge.admin('GET', `audit/${bridge.siteId}/OPS-4`);
    assert.ok(audit.body.entries.some((e: { outcome: string; detail: string }) => e.outcome === 'failed' && /chat_no_members/.test(e.detail)));

    const unmapped = await bridge.admin('GET', `user-mappings/${tenant}?unmapped=true`);
    assert.ok(unmapped.body.unmapped.some((u: { accountId: string; reason: string }) => u.accountId === hidden.accountId && /hides their e-mail/.test(u.reason)));

    const csv = `accountId,user,guest\n${hidden.accountId},${quinn.id},false\n`;
    const imported = await bridge.app.fetch(`/api/manage/user-mappings/${tenant}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    assert.equal(imported.status, 200, await imported.clone().text());
    const exported = await bridge.app.fetch(`/api/manage/user-mappings/${tenant}?format=csv`);
    assert.match(await exported.text(), new RegExp(`${hidden.accountId},${quinn.id},false,manual`));

    const badCsv = await bridge.app.fetch(`/api/manage/user-mappings/${tenant}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'accountId,user\nnot valid!,x\n' });
    assert.equal(badCsv.status, 400);
    assert.match(((await badCsv.json()) as { error: { message: string } }).error.message, /line 2/);

    await bridge.automation('incident-chat', { issueKey: 'OPS-4' });
    await bridge.app.waitForIdle(undefined, 40_000);
    const chat = bridge.graph.chatsWithTopic(/OPS-4\]/)[0]!;
    assert.ok(chat.members.some((m) => m.userId === quinn.id), 'the manually mapped person is in the chat');
    assert.equal(bridge.jira.issue('OPS-4')!.comments.length, 1, 'no second report');
  });

  it('a person with a hidden e-mail links themselves once through the link in the note, and is in the next chat', async () => {
    const tenant = bridge.tenantId;
    const shy = bridge.jira.addUser({ displayName: 'Shy Sam', emailAddress: 'sam@contoso.example', emailVisible: false });
    const sam = bridge.graph.addUser({ displayName: 'Shy Sam', mail: 'sam@contoso.example' });
    bridge.entra.addUser(sam);
    const { jiraAgent } = incident('OPS-6');
    bridge.jira.issue('OPS-6')!.participants = [shy.accountId];
    bridge.jira.issue('OPS-6')!.fields[bridge.jira.fieldIds.requestParticipants] = [{ accountId: shy.accountId }];
    await bridge.automation('incident-chat', { issueKey: 'OPS-6' });
    await bridge.app.waitForIdle(undefined, 40_000);

    const note = JSON.stringify(bridge.jira.issue('OPS-6')!.comments[0]!.body);
    const invite = /(http:\/\/127\.0\.0\.1:\d+\/api\/self-link\/start\?invitation=[A-Za-z0-9_.-]+)/.exec(note)?.[1];
    assert.ok(invite, `the note carries a self-link: ${note}`);

    // Change the invitation's payload (not the last base64url character, whose low bits decoding ignores).
    const tampered = await fetch(invite.replace(/invitation=(.)/, (_, c: string) => `invitation=${c === 'e' ? 'f' : 'e'}`), { redirect: 'manual' });
    assert.equal(tampered.status, 400);

    // Two people open the same invitation (the note is visible to every agent) and both reach Microsoft sign-in.
    const mallory = bridge.graph.addUser({ displayName: 'Mallory Agent', mail: 'mallory@contoso.example' });
    bridge.entra.addUser(mallory);
    const signIn = async (userId: string) => {
      const started = await fetch(invite, { redirect: 'manual' });
      assert.equal(started.status, 302);
      const authorize = new URL(started.headers.get('location')!);
      bridge.entra.signInAs(userId);
      const back = await fetch(authorize, { redirect: 'manual' });
      return { authorize, callback: back.headers.get('location')! };
    };
    const samFlow = await signIn(sam.id);
    const malloryFlow = await signIn(mallory.id);
    // The sign-in asks for exactly what docs/setup.md says: openid profile (no Graph scope, no offline_access).
    assert.deepEqual(samFlow.authorize.searchParams.get('scope')?.split(' ').sort(), ['openid', 'profile']);

    const tokenRequestsBefore = bridge.entra.requestsTo('token').length;
    let response = await fetch(samFlow.callback);
    const page = await response.text();
    assert.equal(response.status, 200, page);
    assert.match(page, /accounts are linked/);
    assert.equal((await fetch(samFlow.callback)).status, 400, 'the callback works once');
    const tokenRequests = bridge.entra.requestsTo('token').slice(tokenRequestsBefore).filter((r) => r.form.grant_type === 'authorization_code');
    assert.ok(tokenRequests.length > 0 && tokenRequests.every((r) => !(r.form.scope ?? '').split(' ').includes('offline_access')), 'the code is redeemed without offline_access');
    assert.equal(bridge.entra.refreshTokensOf(sam.id).length, 0, 'so no refresh token exists for the person');

    // The invitation is used: the second person's completed sign-in and any replay are refused, clearly.
    response = await fetch(malloryFlow.callback);
    assert.equal(response.status, 410);
    assert.match(await response.text(), /already been used/);
    const replay = await fetch(invite, { redirect: 'manual' });
    assert.equal(replay.status, 410, 'a replayed invitation does not even reach sign-in');
    assert.match(await replay.text(), /already been used/);

    const mappings = await bridge.admin('GET', `user-mappings/${tenant}`);
    assert.ok(mappings.body.mappings.some((m: { accountId: string; entraObjectId: string; source: string }) => m.accountId === shy.accountId && m.entraObjectId === sam.id && m.source === 'self-link'));

    bridge.jira.addJsmIssue({ key: 'OPS-7', summary: 'Sam again', assignee: jiraAgent, reporter: shy });
    await bridge.automation('incident-chat', { issueKey: 'OPS-7' });
    await bridge.app.waitForIdle(undefined, 40_000);
    assert.ok(bridge.graph.chatsWithTopic(/OPS-7\]/)[0]!.members.some((m) => m.userId === sam.id));
  });

  it('a self-link never replaces a mapping an admin made: the admin sees the attempt in the audit, the person is told', async () => {
    const tenant = bridge.tenantId;
    const hidden = bridge.jira.addUser({ displayName: 'Hidden Hal', emailAddress: 'hal@contoso.example', emailVisible: false });
    const hal = bridge.graph.addUser({ displayName: 'Hidden Hal', mail: 'hal@contoso.example' });
    const other = bridge.graph.addUser({ displayName: 'Hal Second Account', mail: 'hal.two@contoso.example' });
    bridge.entra.addUser(other);
    incident('OPS-8');
    bridge.jira.issue('OPS-8')!.participants = [hidden.accountId];
    bridge.jira.issue('OPS-8')!.fields[bridge.jira.fieldIds.requestParticipants] = [{ accountId: hidden.accountId }];
    await bridge.automation('incident-chat', { issueKey: 'OPS-8' });
    await bridge.app.waitForIdle(undefined, 40_000);
    const note = JSON.stringify(bridge.jira.issue('OPS-8')!.comments[0]!.body);
    const invite = /(http:\/\/127\.0\.0\.1:\d+\/api\/self-link\/start\?invitation=[A-Za-z0-9_.-]+)/.exec(note)?.[1];
    assert.ok(invite);

    // Meanwhile an admin maps Hal by hand.
    const put = await bridge.admin('PUT', `user-mappings/${tenant}/${hidden.accountId}`, { user: hal.id });
    assert.equal(put.status, 200, JSON.stringify(put.body));

    const started = await fetch(invite, { redirect: 'manual' });
    bridge.entra.signInAs(other.id);
    const back = await fetch(new URL(started.headers.get('location')!), { redirect: 'manual' });
    const response = await fetch(back.headers.get('location')!);
    const page = await response.text();
    assert.equal(response.status, 409, page);
    assert.match(page, /admin has already mapped/);

    const mappings = await bridge.admin('GET', `user-mappings/${tenant}`);
    const mapping = mappings.body.mappings.find((m: { accountId: string }) => m.accountId === hidden.accountId);
    assert.equal(mapping.entraObjectId, hal.id, 'the manual mapping stands');
    assert.equal(mapping.source, 'manual');
    const audit = await bridge.admin('GET', `audit/${bridge.siteId}/OPS-8`);
    assert.ok(
      audit.body.entries.some((e: { outcome: string; detail: string }) => e.outcome === 'failed' && /self-link-conflict/.test(e.detail) && e.detail.includes(other.id)),
      `the admin sees who tried: ${JSON.stringify(audit.body.entries)}`,
    );
  });

  it('a message that keeps failing lands in the poison queue, is listed, and replays once the cause is fixed', async () => {
    incident('OPS-5');
    // Jira answering 500 every time: the job fails, is retried by the host, then poisoned.
    bridge.jira.failNext({ method: 'GET', pathPattern: /OPS-5/, status: 500, times: 50 });
    await bridge.automation('incident-chat', { issueKey: 'OPS-5' });
    const messages = await waitFor(
      'the failing chat job in the chat-jobs poison queue',
      async () => {
        const r = await bridge.admin('GET', 'poison/chat-jobs');
        return r.body.messages?.length ? r.body.messages : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    assert.equal(messages[0].body.issueKey, 'OPS-5');
    const counts = await bridge.admin('GET', 'poison');
    assert.equal(counts.body.poisonQueues['chat-jobs-poison'], 1);

    bridge.jira.clearFailures();
    const replay = await bridge.admin('POST', `poison/chat-jobs/replay?messageId=${messages[0].messageId}`);
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.replayed, 1);
    await bridge.app.waitForIdle(undefined, 40_000);
    assert.equal(bridge.graph.chatsWithTopic(/OPS-5\]/).length, 1);
    assert.equal((await bridge.admin('GET', 'poison')).body.poisonQueues['chat-jobs-poison'], 0);

    const unknown = await bridge.admin('GET', 'poison/no-such-queue');
    assert.equal(unknown.status, 404);
  });

  it('a service user removed from the chat: the 403 is not its licence, so the job ends with Graph\'s reason (not parked, not retried)', async () => {
    incident('OPS-30');
    await bridge.automation('incident-chat', { issueKey: 'OPS-30' });
    await bridge.app.waitForIdle(undefined, 40_000);
    const chat = bridge.graph.chatsWithTopic(/OPS-30\]/)[0]!;
    chat.members = chat.members.filter((m) => m.userId !== bridge.serviceUser.id);
    await bridge.automation('sync-members', { issueKey: 'OPS-30' });
    await bridge.app.waitForIdle(undefined, 40_000);
    const audit = await bridge.admin('GET', `audit/${bridge.siteId}/OPS-30`);
    const sync = audit.body.entries.filter((e: { action: string }) => e.action === 'sync-members');
    assert.deepEqual(sync.map((e: { outcome: string }) => e.outcome), ['failed'], JSON.stringify(sync));
    assert.match(sync[0].detail, /graph_403: Microsoft Graph refused GET \/chats\/.+\/members with 403 Forbidden/);
    const su = await bridge.admin('GET', `service-users/${bridge.tenantId}/chats`);
    assert.equal(su.body.status, 'active', 'the service user itself is fine');
    assert.equal(su.body.parkedJobs, 0);
  });

  it('a service user that lost its Teams licence parks chat jobs with the reason, shows in health, and resumes them when the licence is back', async () => {
    incident('OPS-20');
    incident('OPS-21');
    const licences = bridge.graph.users.get(bridge.serviceUser.id)!.licenseDetails;
    bridge.graph.users.get(bridge.serviceUser.id)!.licenseDetails = [];
    try {
      // Before any keep-alive notices: Graph answers POST /chats with a bare 403 Forbidden.
      await bridge.automation('incident-chat', { issueKey: 'OPS-20' });
      await bridge.app.waitForIdle(undefined, 40_000);
      assert.ok(bridge.graph.requests.some((r) => r.method === 'POST' && r.path === '/chats' && r.status === 403), 'Graph refused the create');
      let audit = await bridge.admin('GET', `audit/${bridge.siteId}/OPS-20`);
      const parked = audit.body.entries.find((e: { outcome: string }) => e.outcome === 'parked');
      assert.ok(parked, JSON.stringify(audit.body.entries));
      assert.match(parked.detail, /invalid-licence: .*TEAMS1/);
      assert.ok(!audit.body.entries.some((e: { outcome: string; detail?: string }) => e.outcome === 'failed'), 'not failed as "members refused"');
      assert.ok(bridge.app.logs.some((l) => l.includes('"serviceUser.invalid"')), 'the alert rule\'s event is logged');

      // Once flagged, a new job is parked at once, without calling Graph.
      const creates = bridge.graph.count('POST', '/chats');
      await bridge.automation('incident-chat', { issueKey: 'OPS-21' });
      await bridge.app.waitForIdle(undefined, 40_000);
      assert.equal(bridge.graph.count('POST', '/chats'), creates);
      audit = await bridge.admin('GET', `audit/${bridge.siteId}/OPS-21`);
      assert.ok(audit.body.entries.some((e: { outcome: string }) => e.outcome === 'parked'));

      const health = (await bridge.admin('GET', 'health')).body;
      assert.equal(health.status, 'degraded');
      const anonymous = (await (await fetch(`${bridge.baseUrl}/api/health`)).json()) as { parts: Record<string, string> };
      assert.equal(anonymous.parts.serviceUsers, 'degraded', 'the anonymous verdict names the part, nothing more');
      const chats = health.identity.tenants.find((t: { tenantId: string }) => t.tenantId === bridge.tenantId).features.chats;
      assert.equal(chats.serviceUser.status, 'invalid-licence');
      assert.match(chats.serviceUser.statusReason, /TEAMS1/);
      assert.equal(chats.parkedJobs, 2);
    } finally {
      bridge.graph.users.get(bridge.serviceUser.id)!.licenseDetails = licences;
    }

    // The admin restores the licence and refreshes the service user: both jobs come back and create their chats.
    const refreshed = await bridge.admin('POST', `service-users/${bridge.tenantId}/chats/refresh`);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.status, 'active');
    assert.equal(refreshed.body.resumed, 2);
    await bridge.app.waitForIdle(undefined, 40_000);
    assert.equal(bridge.graph.chatsWithTopic(/OPS-20\]/).length, 1);
    assert.equal(bridge.graph.chatsWithTopic(/OPS-21\]/).length, 1);
  });
});
