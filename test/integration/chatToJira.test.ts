// Chat → Jira over real HTTP: the app in the local Functions host, Graph's change notifications sent by the fake
// Graph to POST /api/graph/notifications, the queue, the job, and the fake Jira recording what was done.
// Subscription creation goes through Graph's validation handshake against the running app.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FakeChat, FakeUser } from '../fakes/graph.js';
import { adfToText, type FakeJiraUser } from '../fakes/jira.js';
import { startBridge, type Bridge } from '../support/bridge.js';
import { waitFor } from '../support/wait.js';

describe('chat → Jira over Graph change notifications', () => {
  let bridge: Bridge;
  let chat: FakeChat;
  let subscriptionId: string;
  let alice: { graph: FakeUser; jira: FakeJiraUser };
  let mallory: { graph: FakeUser; jira: FakeJiraUser };

  const notificationsUrl = () => `${bridge.baseUrl}/api/graph/notifications`;
  const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }, query = '') =>
    fetch(`${notificationsUrl()}${query}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  async function say(user: FakeUser, html: string, mentions?: FakeUser[]) {
    const message = bridge.graph.postMessageAs(user, chat.id, html, { mentions });
    const status = await bridge.graph.notify(subscriptionId, { resource: `chats('${chat.id}')/messages('${message.id}')` });
    assert.equal(status, 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    return message;
  }

  before(async () => {
    bridge = await startBridge({ features: ['chats', 'chat-to-jira'] });
    const { graph, jira } = bridge;
    const person = (name: string, mail: string) => ({
      graph: graph.addUser({ displayName: name, mail }),
      jira: jira.addUser({ displayName: name, emailAddress: mail, emailVisible: true }),
    });
    alice = person('Alice Agent', 'alice@contoso.example');
    mallory = person('Mallory Member', 'mallory@contoso.example');
    jira.grant(alice.jira, 'ITSM', 'ADD_COMMENTS', 'SERVICEDESK_AGENT', 'EDIT_ISSUES', 'ASSIGN_ISSUES', 'BROWSE_PROJECTS');
    jira.grant(mallory.jira, 'ITSM', 'BROWSE_PROJECTS');
    jira.addJsmIssue({ key: 'ITSM-7', summary: 'Printer on fire', assignee: alice.jira, participants: [mallory.jira] });
    await bridge.configureProject('ITSM', { chatToJira: { enabled: true } });
    const created = await bridge.automation('incident-chat', { issueKey: 'ITSM-7' });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await bridge.app.waitForIdle(undefined, 30_000);
    chat = graph.chatsWithTopic(/ITSM-7/)[0]!;
    assert.ok(chat, 'the chat exists');
    const subscription = await waitFor('the chat subscription', () => [...graph.subscriptions.values()].find((s) => s.resource === `/chats/${chat.id}/messages`));
    subscriptionId = subscription.id;
  });

  after(async () => {
    if (process.env.SHOW_APP_LOGS) console.log(bridge?.app.logs.join('\n'));
    bridge?.graph.assertNoViolations();
    await bridge?.stop();
  });

  it('the chat got one delegated subscription, validated by Graph against the running app, with a lifecycle URL', () => {
    const s = bridge.graph.subscriptions.get(subscriptionId)!;
    assert.equal(s.creatorId, bridge.serviceUser.id, 'delegated, as the service user');
    assert.equal(s.changeType, 'created');
    assert.equal(s.includeResourceData, false, 'no resource data: nothing to decrypt');
    assert.ok(s.clientState && s.clientState.length >= 32 && s.clientState.length <= 128, 'a long random clientState within Graph\'s 128 characters');
    assert.equal(s.notificationUrl, notificationsUrl());
    assert.equal(s.lifecycleNotificationUrl, `${notificationsUrl()}?lifecycle=1`);
    const subscriptionCreates = bridge.graph.requestsTo('POST', '/subscriptions');
    assert.equal(subscriptionCreates.length, 1);
    assert.equal(subscriptionCreates[0]!.status, 201, 'Graph accepted the handshake answers');
  });

  it('the dry run shows the chat\'s chat → Jira subscription', async () => {
    const r = await bridge.admin('POST', 'dry-run', { siteId: bridge.siteId, automation: { action: 'incident-chat', body: { issueKey: 'ITSM-7' } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.actions[0].chatToJira, /^subscription active until /);
  });

  it('answers the validation handshake with the decoded token as text/plain, on both URLs', async () => {
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 5d1e+ä &x=1';
    for (const query of ['', '?lifecycle=1']) {
      const sep = query ? '&' : '?';
      const res = await fetch(`${notificationsUrl()}${query}${sep}validationToken=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(await res.text(), token, 'exactly the decoded token');
    }
  });

  it('bad input gets a precise 4xx JSON error, never a 5xx', async () => {
    const cases: Array<[string, Response, number, string]> = [
      ['not JSON', await post('{"value":[', { 'content-type': 'application/json' }), 400, 'malformed_json'],
      ['wrong media type', await post('x', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['no value array', await post({ nothing: true }), 400, 'invalid_notification'],
      ['empty value array', await post({ value: [] }), 400, 'invalid_notification'],
      ['GET', await fetch(notificationsUrl()), 405, 'method_not_allowed'],
    ];
    for (const [what, res, status, code] of cases) {
      assert.equal(res.status, status, what);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, what);
    }
  });

  it('/note becomes one internal JSM comment, attributed, with chat markup and mention syntax kept literal', async () => {
    const { jira } = bridge;
    const before = jira.issue('ITSM-7')!.comments.length;
    const message = await say(alice.graph, '<p>/NOTE Toner <b>melted</b> &amp; smoke [~accountid:712020:evil] {color:red}*boom*{color}</p>');
    const comments = jira.issue('ITSM-7')!.comments.slice(before);
    assert.equal(comments.length, 1, 'one comment');
    const c = comments[0]!;
    assert.equal(c.jsdPublic, false, 'internal');
    assert.equal(c.authorAccountId, jira.apiUser.accountId);
    const text = adfToText(c.body);
    assert.ok(text.includes('Toner melted & smoke [~accountid:712020:evil] {color:red}*boom*{color}'), text);
    assert.ok(text.includes(`— from Teams, by Alice Agent (Teams message ${message.id})`), text);
    const doc = c.body as { content: Array<{ content?: Array<{ type: string }> }> };
    assert.ok(doc.content.every((p) => (p.content ?? []).every((n) => n.type === 'text' || n.type === 'hardBreak')), 'only literal text nodes: no mention node, no markup');
    const answer = chat.messages.at(-1)!;
    assert.equal(answer.fromUserId, bridge.serviceUser.id, 'the bridge confirmed in the chat');
    assert.match(answer.body.content, /Internal note added to/);
  });

  it('a notification delivered twice and a replayed one are processed once', async () => {
    const { jira, graph } = bridge;
    const before = jira.issue('ITSM-7')!.comments.length;
    const message = graph.postMessageAs(alice.graph, chat.id, '<p>/note once only</p>');
    const resource = `chats('${chat.id}')/messages('${message.id}')`;
    const [a, b] = await Promise.all([graph.notify(subscriptionId, { resource }), graph.notify(subscriptionId, { resource })]);
    assert.deepEqual([a, b], [202, 202]);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(await graph.notify(subscriptionId, { resource }), 202, 'a later replay is acknowledged');
    await bridge.app.waitForIdle(undefined, 30_000);
    const added = jira.issue('ITSM-7')!.comments.slice(before).filter((c) => adfToText(c.body).includes('once only'));
    assert.equal(added.length, 1, 'one comment for three deliveries of one message');
  });

  it('forged notifications (wrong clientState, unknown subscription, another chat) are dropped, counted and never acted on', async () => {
    const { jira, graph } = bridge;
    const before = jira.issue('ITSM-7')!.comments.length;
    const message = graph.postMessageAs(alice.graph, chat.id, '<p>/note forged</p>');
    const s = graph.subscriptions.get(subscriptionId)!;
    const item = { subscriptionId, subscriptionExpirationDateTime: s.expirationDateTime, changeType: 'created', resource: `chats('${chat.id}')/messages('${message.id}')`, clientState: 'guess', tenantId: s.tenantId };
    const forged = [
      { ...item, clientState: 'guess' },
      { ...item, clientState: null },
      { ...item, subscriptionId: '00000000-0000-4000-8000-000000000000', clientState: s.clientState },
      { ...item, clientState: s.clientState, resource: `chats('19:other@thread.v2')/messages('${message.id}')` },
    ];
    const res = await post({ value: forged });
    assert.equal(res.status, 202, 'answered like any delivery: a forger learns nothing');
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(jira.issue('ITSM-7')!.comments.length, before, 'nothing reached Jira');
    const metric = bridge.app.logs.find((l) => l.includes('"graph.notifications.dropped"') && l.includes('"value":4'));
    assert.ok(metric, 'one metric line counting the four dropped notifications');
    assert.ok(bridge.app.logs.some((l) => l.includes('client-state-mismatch')));
    assert.ok(bridge.app.logs.some((l) => l.includes('unknown-subscription')));
    assert.ok(!bridge.app.logs.some((l) => l.includes(s.clientState!)), 'the clientState never appears in a log');
  });

  it('a member without the Jira permission is refused in the chat, once, and nothing reaches Jira', async () => {
    const { jira } = bridge;
    const before = jira.issue('ITSM-7')!.comments.length;
    await say(mallory.graph, '<p>/note let me in</p>');
    await say(mallory.graph, '<p>/priority Highest</p>');
    assert.equal(jira.issue('ITSM-7')!.comments.length, before, 'no comment');
    assert.equal((jira.issue('ITSM-7')!.fields.priority as { name: string }).name, 'High', 'priority unchanged');
    const refusals = chat.messages.filter((m) => m.fromUserId === bridge.serviceUser.id && /may not do that/.test(m.body.content));
    assert.equal(refusals.length, 1, 'refused once in the window, not once per attempt');
    assert.match(refusals[0]!.body.content, /Mallory Member/);
  });

  it('messages the bridge posts itself are never turned into comments (no loop)', async () => {
    const { jira, graph } = bridge;
    const before = jira.issue('ITSM-7')!.comments.length;
    const own = graph.postMessageAs(bridge.serviceUser, chat.id, '<p>/note written by the bridge</p>');
    assert.equal(await graph.notify(subscriptionId, { resource: `chats('${chat.id}')/messages('${own.id}')` }), 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(jira.issue('ITSM-7')!.comments.length, before);
    // The bridge's own answers (e.g. the confirmation of a note) are notified too: none became a comment.
    for (const m of chat.messages.filter((x) => x.fromUserId === bridge.serviceUser.id)) {
      await graph.notify(subscriptionId, { resource: `chats('${chat.id}')/messages('${m.id}')` });
    }
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(jira.issue('ITSM-7')!.comments.length, before);
  });

  it('turning the feature on subscribes existing chats (admin action), shows their state, and /reply is refused outside JSM', async () => {
    const { jira, graph } = bridge;
    const story = jira.addIssueFromWebhookFixture('issue_created.story.json');
    story.fields.assignee = { accountId: alice.jira.accountId };
    jira.grant(alice.jira, 'GBL', 'ADD_COMMENTS', 'SERVICEDESK_AGENT', 'BROWSE_PROJECTS');
    await bridge.configureProject('GBL');
    assert.equal((await bridge.automation('chat', { issueKey: story.key })).status, 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    const storyChat = graph.chatsWithTopic(new RegExp(story.key))[0]!;
    const subscribed = () => [...graph.subscriptions.values()].find((x) => x.resource === `/chats/${storyChat.id}/messages`);
    assert.equal(subscribed(), undefined, 'the feature was off when the chat was made');

    const route = `sites/${bridge.siteId}/projects/GBL/chat-to-jira`;
    const refused = await bridge.admin('POST', route);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'chat_to_jira_off');

    await bridge.configureProject('GBL', { chatToJira: { enabled: true } });
    const follow = await bridge.admin('POST', route);
    assert.equal(follow.status, 202, JSON.stringify(follow.body));
    assert.equal(follow.body.queued, 1);
    await bridge.app.waitForIdle(undefined, 30_000);
    const s = subscribed();
    assert.ok(s, 'subscribed now');

    const state = await bridge.admin('GET', route);
    assert.equal(state.status, 200);
    assert.equal(state.body.chats.length, 1);
    assert.equal(state.body.chats[0].state, 'active');
    assert.equal(state.body.chats[0].subscriptionId, s.id);
    assert.equal(state.body.chats[0].clientStateSecret, undefined, 'the secret\'s name is not listed');

    const before = jira.issue(story.key)!.comments.length;
    const message = graph.postMessageAs(alice.graph, storyChat.id, '<p>/reply dear customer</p>');
    assert.equal(await graph.notify(s.id, { resource: `chats('${storyChat.id}')/messages('${message.id}')` }), 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(jira.issue(story.key)!.comments.length, before, 'no comment');
    assert.match(storyChat.messages.at(-1)!.body.content, /is not one\. Use \/note for an internal note/);
  });
});
