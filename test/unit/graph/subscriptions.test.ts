// shared/graph/subscriptions.ts against the fake Graph over HTTPS (test/fakes/graph.ts): every request checked
// against Microsoft's v1.0 schema (../shared/contracts/graph/check.mjs); the fake validates the notification URLs
// as Graph does (the endpoint below echoes the validationToken), enforces each resource's maximum lifetime and
// Outlook's "own mailbox only" rule for delegated subscriptions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGraph, GraphRequestError, type Graph } from '../../../shared/graph/client.js';
import {
  createChatSubscription,
  createMailFolderSubscription,
  deleteSubscription,
  expiryFrom,
  findSubscriptionsFor,
  maxMailSubscriptionMinutes,
  maxSubscriptionMinutes,
  reauthorizeSubscription,
  renewSubscription,
  requestedMailSubscriptionMinutes,
} from '../../../shared/graph/subscriptions.js';
import { FakeGraph } from '../../fakes/graph.js';
import { startServer, type StartedServer } from '../../support/http.js';

describe('graph/subscriptions', () => {
  const now = new Date('2026-11-23T09:00:00Z');
  const fake = new FakeGraph({ enforceScopes: true, now: () => now.getTime() });
  const user = fake.addUser({ displayName: 'Service', mail: 'service@contoso.com' });
  const other = fake.addUser({ displayName: 'Other', mail: 'other@contoso.com' });
  let graph: Graph;
  let endpoint: StartedServer;
  let close: () => Promise<void>;
  const urls = () => ({ notificationUrl: `${endpoint.origin}/api/graph/notifications`, lifecycleNotificationUrl: `${endpoint.origin}/api/graph/notifications?lifecycle=1` });

  before(async () => {
    // The validation handshake (notificationurl-validation): 200, text/plain, the decoded token back.
    endpoint = await startServer((req, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken') ?? '';
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(token);
    });
    const started = await fake.start();
    close = started.close;
    graph = createGraph({ baseUrl: started.baseUrl, getAccessToken: async () => fake.delegatedToken(user, 'Mail.Read Chat.Read Chat.Create User.Read'), maxRetries: 0 });
  });
  after(async () => {
    fake.assertNoViolations();
    await close();
    await endpoint.close();
  });

  it('createMailFolderSubscription posts created on the folder\'s messages, without resource data, and answers the subscription', async () => {
    const expirationDateTime = expiryFrom(now, requestedMailSubscriptionMinutes);
    const s = await createMailFolderSubscription(graph, { mailbox: 'me', folder: 'inbox', clientState: 'secret-state', expirationDateTime, ...urls() });
    assert.deepEqual(fake.requestsTo('POST', '/subscriptions').at(-1)!.body, {
      changeType: 'created',
      resource: "/me/mailFolders('inbox')/messages",
      ...urls(),
      clientState: 'secret-state',
      expirationDateTime,
      includeResourceData: false,
    });
    assert.equal(s.resource, "/me/mailFolders('inbox')/messages");
    assert.equal(s.expirationDateTime, expirationDateTime);
    assert.ok(fake.subscriptions.has(s.id));
  });

  it('an Outlook subscription may last 10,070 minutes, not a minute more', async () => {
    const ok = await createMailFolderSubscription(graph, { mailbox: 'me', folder: 'inbox', clientState: 'c', expirationDateTime: expiryFrom(now, maxMailSubscriptionMinutes), ...urls() });
    assert.ok(ok.id);
    await assert.rejects(
      createMailFolderSubscription(graph, { mailbox: 'me', folder: 'inbox', clientState: 'c', expirationDateTime: expiryFrom(now, maxMailSubscriptionMinutes + 1), ...urls() }),
      (e: unknown) => e instanceof GraphRequestError && e.status === 400,
    );
  });

  it('a delegated subscription on another mailbox is refused 403 (Outlook: own mailbox only)', async () => {
    await assert.rejects(
      createMailFolderSubscription(graph, { mailbox: other.mail!, folder: 'inbox', clientState: 'c', expirationDateTime: expiryFrom(now, 60), ...urls() }),
      (e: unknown) => e instanceof GraphRequestError && e.status === 403,
    );
  });

  it('createChatSubscription subscribes to the chat\'s messages for at most 4,320 minutes; a second one for the same chat is refused', async () => {
    const member = (id: string) => ({ '@odata.type': '#microsoft.graph.aadUserConversationMember', roles: ['owner'], 'user@odata.bind': `https://graph.microsoft.com/v1.0/users('${id}')` });
    const chat = (await graph.post<{ id: string }>('/chats', { chatType: 'group', topic: 'HELP-1', members: [member(user.id), member(other.id)] })).body;
    const s = await createChatSubscription(graph, { chatId: chat.id, clientState: 'c', expirationDateTime: expiryFrom(now), ...urls() });
    assert.equal(s.resource, `/chats/${chat.id}/messages`);
    assert.ok(Date.parse(s.expirationDateTime) - now.getTime() <= maxSubscriptionMinutes * 60_000);
    await assert.rejects(
      createChatSubscription(graph, { chatId: chat.id, clientState: 'c', expirationDateTime: expiryFrom(now), ...urls() }),
      (e: unknown) => e instanceof GraphRequestError && e.status === 403,
    );
    assert.deepEqual((await findSubscriptionsFor(graph, `chats/${chat.id}/messages`)).map((x) => x.id), [s.id]);
  });

  it('renew, reauthorize and delete act on one subscription; a deleted one answers 404', async () => {
    const s = await createMailFolderSubscription(graph, { mailbox: 'me', folder: 'inbox', clientState: 'c', expirationDateTime: expiryFrom(now, 60), ...urls() });
    const later = expiryFrom(now, requestedMailSubscriptionMinutes);
    assert.equal(await renewSubscription(graph, s.id, later), later);
    assert.deepEqual(fake.requestsTo('PATCH', `/subscriptions/${s.id}`).at(-1)!.body, { expirationDateTime: later });
    await reauthorizeSubscription(graph, s.id);
    assert.equal(fake.count('POST', `/subscriptions/${s.id}/reauthorize`), 1);
    await deleteSubscription(graph, s.id);
    assert.equal(fake.subscriptions.has(s.id), false);
    await assert.rejects(renewSubscription(graph, s.id, later), (e: unknown) => e instanceof GraphRequestError && e.status === 404);
  });
});
