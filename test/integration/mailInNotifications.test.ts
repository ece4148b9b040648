// Mail → Jira over Graph change notifications on the source's folder: the subscription (validated by the fake
// Graph's handshake against the real notification handler served over HTTP on 127.0.0.1), a new mail → notification
// → queued catch-up (real Azurite queue) → issue, a forged notification dropped, a missed notification recovered by
// the catch-up, renewal, lifecycle events, and the subscription removed with the source.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AdminRequest } from '../../shared/admin/request.js';
import { acceptGraphNotifications, createSubscriptionCache } from '../../shared/chatToJira/notifications.js';
import { readSubscriptionIndex } from '../../shared/chatToJira/store.js';
import { createGraph } from '../../shared/graph/client.js';
import { adminMailIn } from '../../shared/mailIn/admin.js';
import { enqueueCatchUps, pollMessage, runMailInJob } from '../../shared/mailIn/ingest.js';
import { deleteMailSource } from '../../shared/mailIn/sources.js';
import { readMailSubscription } from '../../shared/mailIn/subscription.js';
import { queueNames } from '../../shared/storage/queues.js';
import { writeServiceUser } from '../../shared/storage/serviceUsers.js';
import { updateTenant } from '../../shared/storage/tenantConnections.js';
import type { WorkflowDeps } from '../../shared/jobs/deps.js';
import type { FakeSubscription } from '../fakes/graph/state.js';
import type { FakeUser } from '../fakes/graph.js';
import { makeTestToken } from '../fakes/tokens.js';
import { queueClient, resetQueues } from '../support/storage.js';
import { startHarness, type Harness } from './meetingsHarness.js';

const scopes = 'User.Read MailboxSettings.Read Mail.Read Mail.ReadWrite Mail.Read.Shared Mail.ReadWrite.Shared';

describe('mail → Jira over folder change notifications', () => {
  let h: Harness;
  let deps: WorkflowDeps;
  let inbox: FakeUser;
  let server: Server;
  let notificationsUrl: string;
  let project = 'MN';
  let n = 0;
  const logs: Array<{ level: string; event: string; fields?: Record<string, unknown> }> = [];

  before(async () => {
    h = await startHarness();
    inbox = h.serviceUser;
    h.graph.addUser({ displayName: 'Support Desk', userPrincipalName: 'desk@contoso.example', mailboxSettings: { userPurpose: 'shared' } });
    // The notification endpoint's shared logic served over real HTTP, as the Functions host would.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
        void acceptGraphNotifications(
          { method: req.method ?? 'GET', headers, query: Object.fromEntries(url.searchParams), params: {}, body: Buffer.concat(chunks) },
          notificationDeps,
        ).then((out) => {
          const body = out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
          res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
          res.end(body);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    notificationsUrl = `${base}/api/graph/notifications`;
    const log = {
      ...h.deps.log,
      warn: (event: string, fields?: Record<string, unknown>) => logs.push({ level: 'warn', event, fields }),
      info: (event: string, fields?: Record<string, unknown>) => logs.push({ level: 'info', event, fields }),
    };
    deps = {
      ...h.deps,
      log,
      config: { ...h.deps.config, publicBaseUrl: base },
      async graphFor(tenantId) {
        const token = makeTestToken({ tid: tenantId, oid: inbox.id, scp: scopes });
        const client = createGraph({ baseUrl: h.graph.baseUrl, getAccessToken: async () => token });
        return Object.assign(client, { kind: 'delegated' as const, serviceUserObjectId: inbox.id });
      },
    } as WorkflowDeps;
    notificationDeps = { ...deps, cache: createSubscriptionCache({ ...deps, config: { ...deps.config, settingsCacheSeconds: 0 } }) };
    const now = h.clock.now().toISOString();
    await updateTenant(h.deps.tables, h.tenantId, (t) => ({ ...t, consentedFeatures: { ...t.consentedFeatures, 'mail-in': now } }), h.clock.now());
    await writeServiceUser(h.deps.tables, {
      tenantId: h.tenantId,
      feature: 'mail-in',
      objectId: inbox.id,
      userPrincipalName: inbox.userPrincipalName,
      displayName: inbox.displayName,
      homeAccountId: `${inbox.id}.${h.tenantId}`,
      cacheSecretName: 'unused',
      status: 'active',
      grantedScopes: scopes.split(' '),
      degraded: [],
      signedInAt: now,
      lastRefreshAt: now,
      updatedAt: now,
    });
    await resetQueues([queueNames.mailIn]);
  });
  let notificationDeps: Parameters<typeof acceptGraphNotifications>[1];

  after(async () => {
    h.graph.assertNoViolations();
    for (let i = 1; i <= n; i++) await deleteMailSource(deps, h.siteId, `MN${i}`);
    await resetQueues([queueNames.mailIn]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await h.close();
  });

  beforeEach(async () => {
    project = `MN${++n}`;
    logs.length = 0;
    await resetQueues([queueNames.mailIn]);
  });

  const call = (method: string, action: string | undefined, body?: unknown) =>
    adminMailIn(deps, { method, params: { siteId: h.siteId, projectKey: project, action }, query: {}, headers: {}, body } as AdminRequest) as Promise<{ status: number; body: any }>;
  const issuesOf = (key: string) => [...h.jira.issues.values()].filter((i) => i.key.startsWith(`${key}-`));
  const runJob = (reason: Parameters<typeof pollMessage>[1]) =>
    runMailInJob(deps, pollMessage({ siteId: h.siteId, projectKey: project }, reason, h.clock.now()), { queue: queueNames.mailIn, dequeueCount: 1 });

  /** Runs what the notification endpoint queued, as the queue trigger would; answers the messages run. */
  async function drainQueue(): Promise<Array<{ reason: string; projectKey: string }>> {
    const ran: Array<{ reason: string; projectKey: string }> = [];
    const q = queueClient(queueNames.mailIn);
    for (;;) {
      const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) return ran;
      for (const m of receivedMessageItems) {
        const message = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8'));
        await q.deleteMessage(m.messageId, m.popReceipt);
        ran.push({ reason: message.reason, projectKey: message.projectKey });
        await runMailInJob(deps, message, { queue: queueNames.mailIn, dequeueCount: 1 });
      }
    }
  }

  /** A source on the own inbox, subscribed by its first catch-up (the timer's or a manual one). */
  async function subscribedSource(): Promise<FakeSubscription> {
    h.clock.advance(1000);
    const r = await call('PUT', undefined, { tenantId: h.tenantId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    h.clock.advance(1000);
    await runJob('manual');
    const row = await readMailSubscription(deps, h.siteId, project);
    assert.equal(row?.state, 'active', JSON.stringify(row));
    const s = h.graph.subscriptions.get(row!.subscriptionId!);
    assert.ok(s, 'the subscription exists at Graph');
    return s;
  }

  it('subscribes to created on the folder (handshake passed), and a new mail → notification → catch-up → one issue', async () => {
    const s = await subscribedSource();
    assert.equal(s.resource, "/me/mailFolders('inbox')/messages");
    assert.equal(s.changeType, 'created');
    assert.equal(s.creatorId, inbox.id, 'delegated, as the mail-in account');
    assert.equal(s.notificationUrl, notificationsUrl);
    assert.equal(s.lifecycleNotificationUrl, `${notificationsUrl}?lifecycle=1`);
    assert.ok(s.clientState && s.clientState.length >= 32 && s.clientState.length <= 128);
    const minutes = (Date.parse(s.expirationDateTime) - h.clock.now().getTime()) / 60_000;
    assert.ok(minutes > 4320 && minutes <= 10_070, `close to Outlook's 10,070-minute maximum, got ${minutes}`);
    const creates = h.graph.requestsTo('POST', '/subscriptions');
    assert.equal(creates.at(-1)!.status, 201, 'Graph validated both URLs against the running handler');
    const index = await readSubscriptionIndex(deps, s.id);
    assert.equal(index?.target, 'mail-in');
    const shown = (await call('GET', undefined)).body;
    assert.equal(shown.notifications.state, 'active');
    assert.equal(shown.notifications.expiresAt, s.expirationDateTime);
    assert.doesNotMatch(JSON.stringify(shown), /graph-client-state|clientState/, 'no secret or its name');

    const { statuses } = await h.graph.mailIn.deliverAndNotify(inbox, { subject: 'VPN is down', from: { address: 'carol@customer.example' }, body: '<p>since 9:00</p>' });
    assert.deepEqual(statuses, [202]);
    const ran = await drainQueue();
    assert.deepEqual(ran, [{ reason: 'notification', projectKey: project }]);
    const issues = issuesOf(project);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.fields.summary, 'VPN is down');

    // Graph may deliver a notification twice: the catch-up's claims keep the mail at one issue.
    await h.graph.notify(s.id, { changeType: 'created', resource: `Users/${inbox.id}/Messages/x` });
    await drainQueue();
    assert.equal(issuesOf(project).length, 1);
  });

  it('drops a notification with a wrong clientState: nothing is queued, the drop is counted', async () => {
    const s = await subscribedSource();
    const forged = { value: [{ subscriptionId: s.id, clientState: 'guessed-secret', changeType: 'created', resource: `Users/${inbox.id}/Messages/AAMk1`, tenantId: h.tenantId }] };
    const res = await fetch(notificationsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    assert.equal(res.status, 202, 'a forger learns nothing');
    assert.deepEqual(await drainQueue(), []);
    assert.ok(logs.some((l) => l.event === 'graph.notification.dropped' && l.fields?.reason === 'client-state-mismatch' && l.fields.projectKey === project));
    assert.ok(logs.some((l) => l.event === 'metric' && l.fields?.name === 'graph.notifications.dropped'));
  });

  it('a notification that never came: the "missed" lifecycle event and the timer\'s catch-up both read the mail once', async () => {
    const s = await subscribedSource();
    h.graph.mailIn.deliver(inbox, { subject: 'Printer jam', from: { address: 'dave@customer.example' } }); // no notification
    assert.equal(await h.graph.sendLifecycleNotification(s.id, 'missed'), 202);
    assert.deepEqual(await drainQueue(), [{ reason: 'missed', projectKey: project }]);
    assert.equal(issuesOf(project).length, 1);
    h.graph.mailIn.deliver(inbox, { subject: 'Scanner jam', from: { address: 'dave@customer.example' } }); // lost as well
    await enqueueCatchUps(deps);
    await drainQueue();
    assert.deepEqual(issuesOf(project).map((i) => i.fields.summary).sort(), ['Printer jam', 'Scanner jam']);
    assert.equal(h.graph.subscriptions.get(s.id)?.id, s.id, 'the timer left the healthy subscription alone');
  });

  it('renews within a day of expiry, recreates after subscriptionRemoved or when Graph lost it, reauthorizes', async () => {
    const s = await subscribedSource();
    const before = s.expirationDateTime;
    h.clock.advance(6 * 24 * 3_600_000); // within a day of the ~7-day expiry
    await enqueueCatchUps(deps);
    await drainQueue();
    assert.equal(h.graph.subscriptions.get(s.id)?.id, s.id, 'renewed, not replaced');
    assert.ok(Date.parse(h.graph.subscriptions.get(s.id)!.expirationDateTime) > Date.parse(before), 'expiry moved on');
    assert.equal(h.graph.requestsTo('PATCH', `/subscriptions/${s.id}`).at(-1)?.status, 200);

    assert.equal(await h.graph.sendLifecycleNotification(s.id, 'reauthorizationRequired'), 202);
    await drainQueue();
    assert.equal(h.graph.subscriptions.get(s.id)?.reauthorizedCount, 1);

    h.graph.subscriptions.delete(s.id); // Graph removed it…
    h.graph.mailIn.deliver(inbox, { subject: 'While unsubscribed', from: { address: 'erin@customer.example' } });
    const removed = { ...s, id: s.id };
    assert.equal(await postLifecycle(removed, 'subscriptionRemoved'), 202);
    await drainQueue();
    const now = await readMailSubscription(deps, h.siteId, project);
    assert.notEqual(now?.subscriptionId, s.id, 'a new subscription');
    assert.ok(h.graph.subscriptions.get(now!.subscriptionId!), 'it exists at Graph');
    assert.equal(await readSubscriptionIndex(deps, s.id), undefined, 'the old one is void');
    assert.deepEqual(issuesOf(project).map((i) => i.fields.summary), ['While unsubscribed'], 'and the catch-up read what arrived meanwhile');
  });

  it('a refused renewal does not hold up reading the mail: the catch-up runs, the next timer run tries again', async () => {
    const s = await subscribedSource();
    h.clock.advance(6 * 24 * 3_600_000);
    h.graph.failNext({ method: 'PATCH', pathPattern: `/subscriptions/${s.id}`, status: 403, code: 'ExtensionError' });
    h.graph.mailIn.deliver(inbox, { subject: 'Renewal day', from: { address: 'frank@customer.example' } });
    await runJob('timer');
    assert.deepEqual(issuesOf(project).map((i) => i.fields.summary), ['Renewal day']);
    assert.ok(logs.some((l) => l.event === 'mail-in.subscription.failed' && l.fields?.status === 403));
    await runJob('timer');
    assert.equal(h.graph.requestsTo('PATCH', `/subscriptions/${s.id}`).at(-1)?.status, 200, 'renewed on the next run');
  });

  /** Graph sends subscriptionRemoved after it removed the subscription: posted here as Graph would. */
  async function postLifecycle(s: FakeSubscription, lifecycleEvent: string): Promise<number> {
    const body = { value: [{ subscriptionId: s.id, subscriptionExpirationDateTime: s.expirationDateTime, tenantId: s.tenantId, clientState: s.clientState, lifecycleEvent }] };
    const res = await fetch(`${notificationsUrl}?lifecycle=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  }

  it('deleting or disabling the source deletes its subscription; its notifications are then void', async () => {
    const s = await subscribedSource();
    assert.equal((await call('PUT', undefined, { tenantId: h.tenantId, enabled: false })).status, 200);
    assert.equal(h.graph.subscriptions.has(s.id), false, 'disabled: deleted at Graph');
    assert.equal(await readSubscriptionIndex(deps, s.id), undefined);

    assert.equal((await call('PUT', undefined, { tenantId: h.tenantId, enabled: true })).status, 200);
    await runJob('manual');
    const again = (await readMailSubscription(deps, h.siteId, project))!;
    assert.equal(again.state, 'active');
    assert.equal((await call('DELETE', undefined)).status, 204);
    assert.equal(h.graph.subscriptions.has(again.subscriptionId!), false, 'deleted: deleted at Graph');
    assert.equal(await readMailSubscription(deps, h.siteId, project), undefined);
    assert.equal(h.graph.requestsTo('DELETE', `/subscriptions/${again.subscriptionId}`).at(-1)?.status, 204);
    const stale = { value: [{ subscriptionId: again.subscriptionId, clientState: 'whatever', changeType: 'created', resource: 'Users/x/Messages/y' }] };
    await fetch(notificationsUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(stale) });
    assert.deepEqual(await drainQueue(), []);
  });

  it('a shared mailbox keeps the delta catch-up only: no subscription is asked for, the reason is kept', async () => {
    h.clock.advance(1000);
    assert.equal((await call('PUT', undefined, { tenantId: h.tenantId, mailbox: 'desk@contoso.example' })).status, 200);
    await runJob('manual');
    const row = await readMailSubscription(deps, h.siteId, project);
    assert.equal(row?.state, 'unsupported');
    assert.match(row!.lastError!, /shared mailbox/);
    const shown = (await call('GET', undefined)).body;
    assert.equal(shown.notifications.state, 'unsupported', 'the manage API says why there are no notifications');
    assert.equal([...h.graph.subscriptions.values()].filter((s) => /desk/i.test(s.resource)).length, 0);
  });

  it('the fake Graph refuses what Graph refuses: a delegated subscription on another mailbox, and more than 10,070 minutes', async () => {
    const graph = await deps.graphFor(h.tenantId, 'mail-in');
    const body = (resource: string, minutes: number) => ({
      changeType: 'created',
      resource,
      notificationUrl: notificationsUrl,
      lifecycleNotificationUrl: `${notificationsUrl}?lifecycle=1`,
      clientState: 'x'.repeat(40),
      expirationDateTime: new Date(h.clock.now().getTime() + minutes * 60_000).toISOString(),
    });
    await assert.rejects(graph.post('/subscriptions', body("/users/desk@contoso.example/mailFolders('inbox')/messages", 60)), (e: any) => e.status === 403);
    await assert.rejects(graph.post('/subscriptions', body("/me/mailFolders('inbox')/messages", 10_071)), (e: any) => e.status === 400);
    await assert.rejects(graph.post('/subscriptions', body("/me/mailFolders('nosuchfolder')/messages", 60)), (e: any) => e.status === 404);
  });
});
