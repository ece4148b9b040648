// The whole pipeline over real HTTP: a signed Jira webhook for a JSM incident → 202 → queue → job → Graph
// POST /chats with the members inline → first message → remote link on the Jira issue pointing at the chat.
import assert from 'node:assert/strict';
import { allQueueNames } from '../../shared/storage/queues.js';
import { after, before, describe, it } from 'node:test';
import { startBridge, type Bridge } from '../support/bridge.js';
import { webhookFor } from '../support/jiraPayloads.js';

describe('walking skeleton: Jira incident webhook to Teams chat', () => {
  let bridge: Bridge;
  before(async () => {
    bridge = await startBridge();
  });
  after(async () => {
    if (process.env.SHOW_APP_LOGS) console.log(bridge?.app.logs.join('\n'));
    await bridge?.stop();
  });

  it('a signed incident webhook creates one chat with its people, posts the details and links the issue', async () => {
    const { graph, jira } = bridge;
    const alice = graph.addUser({ displayName: 'Alice Agent', mail: 'alice@contoso.example' });
    const bob = graph.addUser({ displayName: 'Bob Responder', mail: 'bob@contoso.example' });
    const aliceJira = jira.addUser({ displayName: 'Alice Agent', emailAddress: 'alice@contoso.example', emailVisible: true });
    const bobJira = jira.addUser({ displayName: 'Bob Responder', emailAddress: 'bob@contoso.example', emailVisible: true });
    const hidden = jira.addUser({ displayName: 'Hidden <Hacker>', emailAddress: 'hidden@contoso.example', emailVisible: false });
    const issue = jira.addJsmIssue({
      key: 'INC-42',
      summary: 'Database down: <script>alert(1)</script> & more',
      assignee: aliceJira,
      reporter: hidden,
      responders: [bobJira],
    });
    await bridge.configureProject('INC');

    const body = webhookFor({ id: issue.id, key: issue.key, fields: issue.fields });
    const graphRequestsBefore = graph.requests.length;
    const response = await bridge.webhook(body, { deliveryId: 'delivery-1' });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.equal(response.body.status, 'accepted');
    assert.deepEqual(response.body.actions, ['incident-chat']);

    await bridge.app.waitForIdle(undefined, 30_000);

    const chats = graph.chatsWithTopic(/INC-42/);
    assert.equal(chats.length, 1, 'exactly one chat');
    const chat = chats[0]!;
    assert.equal(chat.topic, '[INC-42] Database down - <script>alert(1)</script> & more', 'topic from the template, ":" replaced');
    const memberIds = chat.members.map((m) => m.userId).sort();
    assert.deepEqual(memberIds, [alice.id, bob.id, bridge.serviceUser.id].sort(), 'service user, assignee and responder inline');
    assert.equal(graph.count('POST', '/chats/{id}/members'), 0, 'no member added one by one');

    assert.equal(chat.messages.length, 1, 'one first message');
    const html = chat.messages[0]!.body.content;
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more'), 'summary escaped');
    assert.ok(!html.includes('<script>'), 'no raw markup from Jira');
    assert.ok(html.includes('Alice Agent'));

    // Requests inside a $batch are recorded too (with `batch` set); the wire saw only the outer one.
    const creationCalls = graph.requests.slice(graphRequestsBefore).filter((r) => !r.batch);
    assert.ok(creationCalls.length <= 3, `at most 3 Graph calls for the new chat, saw ${creationCalls.map((r) => `${r.method} ${r.path}`).join(', ')}`);

    const links = jira.issue('INC-42')!.remoteLinks;
    assert.equal(links.length, 1);
    assert.equal(links[0]!.object.url, chat.webUrl);

    const comments = jira.issue('INC-42')!.comments;
    assert.equal(comments.length, 1, 'the unmapped reporter is reported once');
    assert.equal(comments[0]!.jsdPublic, false, 'as an internal note');

    graph.assertNoViolations();
  });

  it('a replayed delivery and a second delivery of the same event create no second chat', async () => {
    const { graph, jira } = bridge;
    const issue = jira.issue('INC-42')!;
    const body = webhookFor({ id: issue.id, key: issue.key, fields: issue.fields });
    const replay = await bridge.webhook(body, { deliveryId: 'delivery-1' });
    assert.equal(replay.status, 202);
    assert.equal(replay.body.status, 'duplicate');
    const again = await bridge.webhook(body, { deliveryId: 'delivery-2' });
    assert.equal(again.status, 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(graph.chatsWithTopic(/INC-42/).length, 1);
    assert.equal(graph.chatsWithTopic(/INC-42/)[0]!.messages.length, 1, 'no second first message');
    assert.equal(jira.issue('INC-42')!.comments.length, 1, 'unmapped people reported once per issue');
    graph.assertNoViolations();
  });

  it('GET /api/health (anonymous) says only ok/degraded and which part; the detail needs the function key', async () => {
    const response = await fetch(`${bridge.baseUrl}/api/health`);
    const text = await response.text();
    const health = JSON.parse(text);
    // Other test files leave tenants (some deliberately needing re-authentication) in the shared Azurite, so the
    // overall verdict may be degraded here; it must match the status code and name the degraded part.
    assert.equal(response.status, health.status === 'ok' ? 200 : 503, text);
    assert.deepEqual(Object.keys(health).sort(), ['checkedAt', 'parts', 'status']);
    assert.deepEqual(Object.keys(health.parts).sort(), ['backlog', 'poisonQueues', 'secretStore', 'serviceUsers', 'storage']);
    assert.equal(health.parts.storage, 'ok');
    assert.equal(health.parts.secretStore, 'ok');
    assert.equal(health.status === 'ok', Object.values(health.parts).every((p) => p === 'ok'), text);
    for (const named of [bridge.tenantId, bridge.siteId, bridge.serviceUser.userPrincipalName, bridge.serviceUser.id]) {
      assert.ok(!text.includes(named), `the anonymous answer names no tenant, site or account (${named})`);
    }

    const detail = await bridge.admin('GET', 'health');
    assert.equal(detail.status, detail.body.status === 'ok' ? 200 : 503, JSON.stringify(detail.body));
    assert.deepEqual(detail.body.parts, health.parts, 'both views agree');
    assert.equal(detail.body.storage.tables.ok, true);
    assert.equal(detail.body.storage.queues.ok, true);
    assert.equal(detail.body.secretStore.kind, 'local-file');
    assert.equal(detail.body.configured.entraApp, true);
    assert.deepEqual(detail.body.queues.map((q: any) => q.queue).sort(), [...allQueueNames].sort());
    const chats = detail.body.identity.tenants.find((t: { tenantId: string }) => t.tenantId === bridge.tenantId).features.chats;
    assert.equal(chats.serviceUser.status, 'active');
    const detailText = JSON.stringify(detail.body);
    for (const secret of [bridge.webhookSecret, bridge.automationToken, bridge.entra.clientSecret, bridge.jira.credentials.apiToken]) {
      assert.ok(!text.includes(secret) && !detailText.includes(secret), 'no secret in either health answer');
    }
    assert.ok(!detailText.includes(bridge.serviceUser.userPrincipalName), 'no account name in the detail either');
  });
});
