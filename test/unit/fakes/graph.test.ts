// The fake Graph speaks Graph's wire format, keeps state, checks every request against the v1.0 schema and
// injects the failures later tests rely on.
 
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@microsoft/microsoft-graph-client';
import { FakeGraph, type FakeUser } from '../../fakes/graph.js';
import { startServer } from '../../support/http.js';

const MEMBER = '#microsoft.graph.aadUserConversationMember';

function member(user: FakeUser, role = 'owner') {
  return { '@odata.type': MEMBER, roles: [role], 'user@odata.bind': `https://graph.microsoft.com/v1.0/users('${user.id}')` };
}

describe('fake Graph', () => {
  let now = Date.parse('2026-11-23T09:00:00Z'); // a Monday
  const graph = new FakeGraph({ now: () => now });
  const service = graph.addUser({ displayName: 'Bridge Service', mail: 'bridge@contoso.com' });
  const alice = graph.addUser({ displayName: 'Alice Agent', mail: 'alice@contoso.com', otherMails: ['alice@home.example'] });
  const bob = graph.addUser({ displayName: 'Bob Builder', mail: 'bob@contoso.com', proxyAddresses: ['SMTP:bob@contoso.com', 'smtp:robert@contoso.com'] });
  const guest = graph.addGuest({ displayName: 'Gina Guest', mail: 'gina@partner.example' });
  graph.addUser({ displayName: 'Shared Desk', mail: 'desk@contoso.com', accountEnabled: false, mailboxSettings: { userPurpose: 'shared' } });
  const token = graph.delegatedToken(service);
  let baseUrl = '';
  let close: () => Promise<void>;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const createChat = (topic: string, members = [member(service), member(alice)]) => call('POST', '/chats', { chatType: 'group', topic, members });

  before(async () => {
    ({ baseUrl, close } = await graph.start());
  });
  after(() => close());

  it('answers a request without a token 401 InvalidAuthenticationToken in Graph error shape', async () => {
    const res = await fetch(`${baseUrl}/me`, { headers: { 'client-request-id': 'abc-123' } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('client-request-id'), 'abc-123');
    const requestId = res.headers.get('request-id');
    assert.ok(requestId);
    const body = (await res.json()) as any;
    assert.equal(body.error.code, 'InvalidAuthenticationToken');
    assert.equal(body.error.innerError['request-id'], requestId);
    assert.equal(body.error.innerError['client-request-id'], 'abc-123');
    assert.match(body.error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('creates a group chat with members inline and finds it by topic with members expanded', async () => {
    const created = await createChat('JSM-1 Printer on fire');
    assert.equal(created.status, 201);
    assert.match(created.body?.id, /^19:[0-9a-f]{32}@thread\.v2$/);
    assert.equal(created.body?.tenantId, graph.tenantId);
    assert.ok(created.body?.webUrl && created.body?.createdDateTime);

    const found = await call('GET', `/me/chats?$filter=${encodeURIComponent("topic eq 'JSM-1 Printer on fire'")}&$expand=members`);
    assert.equal(found.status, 200);
    assert.equal(found.body?.value.length, 1);
    assert.deepEqual(found.body?.value[0].members.map((m: any) => m.userId).sort(), [service.id, alice.id].sort());
    assert.equal(graph.chatsWithTopic('JSM-1 Printer on fire').length, 1);
    assert.equal(graph.count('POST', '/chats'), 1);
    assert.equal(graph.requestsTo('POST', '/chats')[0]?.tokenClaims?.oid, service.id);
    assert.equal(graph.requestsTo('POST', '/chats')[0]?.headers.authorization, undefined, 'the log never holds tokens');
  });

  it('rejects what Graph rejects on chat create', async () => {
    assert.equal((await createChat('JSM-2: colon')).status, 400);
    assert.equal((await createChat('x'.repeat(251))).status, 400);
    assert.equal((await createChat('no caller', [member(alice), member(bob)])).status, 400, 'delegated caller must be a member');
    assert.equal((await createChat('guest as owner', [member(service), member(guest, 'owner')])).status, 400);
    assert.equal((await createChat('guest ok', [member(service), member(guest, 'guest')])).status, 201);
    const unknown = await createChat('unknown', [member(service), { ...member(alice), 'user@odata.bind': "https://graph.microsoft.com/v1.0/users('nobody@contoso.com')" }]);
    assert.equal(unknown.status, 404);
    graph.assertNoViolations();
  });

  it('answers a schema violation 400 ContractViolation and records it', async () => {
    const res = await call('POST', '/chats', { chatType: 'group', topik: 'typo', members: [member(service), member(alice)] });
    assert.equal(res.status, 400);
    assert.equal(res.body?.error.code, 'ContractViolation');
    assert.match(res.body?.error.message, /topik/);
    assert.equal(graph.violations.length, 1);
    assert.throws(() => graph.assertNoViolations(), /1 contract violation.*\n.*POST \/v1\.0\/chats\n.*topik/s);
    graph.violations.length = 0;
  });

  it('adds members with 201 + Location and no body, throttles the fifth add in a minute, removes with 204', async () => {
    const chat = (await createChat('members')).body as { id: string };
    const chatPath = `/chats/${encodeURIComponent(chat.id)}/members`;
    const others = [bob, guest, ...[1, 2, 3].map((n) => graph.addUser({ displayName: `Extra ${n}` }))];
    const first = await call('POST', chatPath, member(bob));
    assert.equal(first.status, 201);
    assert.equal(first.body, undefined);
    assert.match(first.headers.get('location') ?? '', /^\/chats\('19:.*'\)\/members\('.+'\)$/);
    await call('POST', chatPath, member(guest, 'guest'));
    await call('POST', chatPath, member(others[2] as FakeUser));
    await call('POST', chatPath, member(others[3] as FakeUser));
    const throttled = await call('POST', chatPath, member(others[4] as FakeUser));
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '60');
    now += 60_000;
    assert.equal((await call('POST', chatPath, member(others[4] as FakeUser))).status, 201);

    const blocked = graph.addUser({ displayName: 'Blocked Person' });
    graph.failMemberAdd(blocked.id);
    const refused = await call('POST', chatPath, member(blocked));
    assert.equal(refused.status, 403);
    assert.equal(refused.body?.error.code, 'RosterAddMemberBlocked');

    assert.equal(graph.count('POST', '/chats/{chatId}/members'), 7, '{placeholder} matches one segment');
    assert.equal(graph.count('POST', '/chats/*/members'), 7);
    assert.equal(graph.requestsTo('POST', '/chats/**').length, graph.count('POST', '/chats/{chatId}/members') + graph.count('POST', '/chats'));
    const list = await call('GET', chatPath);
    const bobMembership = list.body?.value.find((m: any) => m.userId === bob.id);
    assert.equal((await call('DELETE', `${chatPath}/${encodeURIComponent(bobMembership.id)}`)).status, 204);
    assert.equal(graph.chats.get(chat.id)?.members.some((m) => m.userId === bob.id), false);
  });

  it('stores a posted html message and answers 201 with a chatMessage', async () => {
    const chat = (await createChat('messages')).body as { id: string };
    const res = await call('POST', `/chats/${encodeURIComponent(chat.id)}/messages`, { body: { contentType: 'html', content: '<p>Hello <b>team</b></p>' } });
    assert.equal(res.status, 201);
    assert.equal(res.body?.chatId, chat.id);
    assert.equal(res.body?.from.user.id, service.id);
    assert.deepEqual(graph.chats.get(chat.id)?.messages[0]?.body, { contentType: 'html', content: '<p>Hello <b>team</b></p>' });
  });

  it('finds users by mail, proxy address and other mail, honouring $select', async () => {
    const byMail = await call('GET', `/users?$filter=${encodeURIComponent("mail eq 'ALICE@contoso.com'")}&$select=id,displayName`);
    assert.deepEqual(byMail.body?.value, [{ id: alice.id, displayName: 'Alice Agent' }]);
    const byProxy = await call('GET', `/users?$filter=${encodeURIComponent("proxyAddresses/any(x:x eq 'smtp:robert@contoso.com')")}`);
    assert.equal(byProxy.body?.value[0].id, bob.id);
    assert.equal(byProxy.body?.value[0].userPrincipalName, 'bob@contoso.com');
    const byOther = await call('GET', `/users?$filter=${encodeURIComponent("otherMails/any(x:x eq 'alice@home.example')")}`);
    assert.equal(byOther.body?.value[0].id, alice.id);
    const byUpn = await call('GET', `/users/${encodeURIComponent(guest.userPrincipalName)}?$select=userType,mail`);
    assert.deepEqual(
      { userType: byUpn.body?.userType, mail: byUpn.body?.mail },
      { userType: 'Guest', mail: 'gina@partner.example' },
    );
    const missing = await call('GET', '/users/nobody@contoso.com');
    assert.equal(missing.status, 404);
    assert.equal(missing.body?.error.code, 'Request_ResourceNotFound');
  });

  it('describes the service user: /me, licence service plans and mailbox purpose', async () => {
    assert.equal((await call('GET', '/me')).body?.id, service.id);
    const licences = await call('GET', '/me/licenseDetails');
    const plans = licences.body?.value[0].servicePlans.map((p: any) => p.servicePlanName);
    assert.ok(plans.includes('TEAMS1') && plans.includes('MICROSOFTBOOKINGS'));
    assert.equal((await call('GET', '/me/mailboxSettings')).body?.userPurpose, 'user');
  });

  it('answers $batch out of order, with inner 429s, and rejects more than 20 requests', async () => {
    graph.failNext({ method: 'GET', pathPattern: '/users/*', status: 429, retryAfterSeconds: 7 });
    const res = await call('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/users/${alice.id}` },
        { id: '2', method: 'GET', url: `/users/${bob.id}` },
        { id: '3', method: 'GET', url: '/me' },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body?.responses.map((r: any) => r.id), ['3', '2', '1']);
    const first = res.body?.responses.find((r: any) => r.id === '1');
    assert.equal(first.status, 429);
    assert.equal(first.headers['retry-after'], '7');
    assert.equal(res.body?.responses.find((r: any) => r.id === '2').body.id, bob.id);
    assert.equal(graph.requests.filter((r) => r.batch).length >= 3, true);

    const tooMany = await call('POST', '/$batch', {
      requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/me' })),
    });
    assert.equal(tooMany.status, 400);

    const versioned = await call('POST', '/$batch', { requests: [{ id: '1', method: 'GET', url: '/v1.0/me' }] });
    assert.equal(versioned.body?.error.code, 'ContractViolation');
    graph.violations.length = 0;
  });

  it('injects 503 and latency, and can drop the connection after a POST succeeded server-side', async () => {
    graph.failNext({ status: 503, retryAfterSeconds: 2, times: 2 });
    assert.equal((await call('GET', '/me')).status, 503);
    const second = await call('GET', '/me');
    assert.equal(second.body?.error.code, 'serviceNotAvailable');
    assert.equal((await call('GET', '/me')).status, 200);

    graph.delay(150);
    const started = Date.now();
    await call('GET', '/me');
    assert.ok(Date.now() - started >= 140);
    graph.delay(0);

    graph.dropConnectionAfter({ method: 'POST', pathPattern: '/chats' });
    await assert.rejects(createChat('JSM-9 dropped'), /fetch failed/);
    assert.equal(graph.chatsWithTopic('JSM-9 dropped').length, 1, 'the chat exists although the client saw no answer');
    assert.equal(graph.requestsTo('POST', '/chats').at(-1)?.dropped, true);
  });

  it('createOrGet returns 201 once, then 200 with the same meeting; app-only goes through /users/{id}', async () => {
    const body = { externalId: 'JSM-1', subject: 'JSM-1 bridge call' };
    const first = await call('POST', '/me/onlineMeetings/createOrGet', body);
    assert.equal(first.status, 201);
    assert.match(first.body?.joinWebUrl, /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
    assert.match(first.body?.chatInfo.threadId, /^19:meeting_.*@thread\.v2$/);
    const again = await call('POST', '/me/onlineMeetings/createOrGet', body);
    assert.equal(again.status, 200);
    assert.equal(again.body?.id, first.body?.id);

    const app = await fetch(`${baseUrl}/users/${service.id}/onlineMeetings/createOrGet`, {
      method: 'POST',
      headers: { authorization: `Bearer ${graph.appToken(['OnlineMeetings.ReadWrite.All'])}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(app.status, 200, 'same tenant, organizer and externalId: the existing meeting');
  });

  it('Bookings: hides evolvable staff roles unless asked, enforces business rules for app-only', async () => {
    const business = graph.addBookingBusiness({
      id: 'Support@contoso.onmicrosoft.com',
      services: [{ displayName: 'Incident review', defaultDuration: 'PT30M' }],
      staffMembers: [{ displayName: 'Bridge Service', emailAddress: 'bridge@contoso.com', role: 'scheduler' }],
    });
    const staffPath = `/solutions/bookingBusinesses/${encodeURIComponent(business.id)}/staffMembers`;
    assert.equal((await call('GET', staffPath)).body?.value[0].role, 'unknownFutureValue');
    assert.equal((await call('GET', staffPath, undefined, { prefer: 'include-unknown-enum-members' })).body?.value[0].role, 'scheduler');

    const appointment = (start: string, end: string) => ({
      '@odata.type': '#microsoft.graph.bookingAppointment',
      serviceId: business.services[0]?.id,
      startDateTime: { '@odata.type': '#microsoft.graph.dateTimeTimeZone', dateTime: start, timeZone: 'UTC' },
      endDateTime: { '@odata.type': '#microsoft.graph.dateTimeTimeZone', dateTime: end, timeZone: 'UTC' },
      isLocationOnline: true,
      customers: [{ '@odata.type': '#microsoft.graph.bookingCustomerInformation', name: 'Jordan Miller', emailAddress: 'jordan@example.com' }],
    });
    const appToken = graph.appToken(['BookingsAppointment.ReadWrite.All']);
    const post = (body: unknown, bearer: string) =>
      fetch(`${baseUrl}/solutions/bookingBusinesses/${encodeURIComponent(business.id)}/appointments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const night = appointment('2026-11-23T22:00:00', '2026-11-23T22:30:00');
    assert.equal((await post(night, appToken)).status, 400, 'app-only outside business hours');
    assert.equal((await post(night, token)).status, 201, 'a delegated Bookings admin may override');
    const wrongLength = appointment('2026-11-23T13:00:00', '2026-11-23T14:00:00');
    assert.equal((await post(wrongLength, appToken)).status, 400);
    const ok = await post(appointment('2026-11-23T13:00:00', '2026-11-23T13:30:00'), appToken);
    assert.equal(ok.status, 201);
    const created = (await ok.json()) as any;
    assert.match(created.joinWebUrl, /^https:\/\/teams\.microsoft\.com\//);
    assert.equal(created.duration, 'PT30M');
    graph.assertNoViolations();
  });

  it('sendMail answers 202 without a body, records the mail, and denies send-as without rights', async () => {
    const message = {
      subject: 'JSM-1 update',
      body: { contentType: 'html', content: '<p>Update</p>' },
      toRecipients: [{ emailAddress: { address: 'stakeholder@example.com' } }],
    };
    const sent = await call('POST', '/me/sendMail', { message, saveToSentItems: false });
    assert.equal(sent.status, 202);
    assert.equal(sent.body, undefined);
    assert.equal(graph.outbox.at(-1)?.message.subject, 'JSM-1 update');

    const asDesk = { message: { ...message, from: { emailAddress: { address: 'desk@contoso.com' } } } };
    const denied = await call('POST', '/me/sendMail', asDesk);
    assert.equal(denied.status, 403);
    assert.equal(denied.body?.error.code, 'ErrorSendAsDenied');
    graph.allowSendAs(service.id, 'desk@contoso.com');
    assert.equal((await call('POST', '/me/sendMail', asDesk)).status, 202);
    assert.equal(graph.outbox.at(-1)?.from, 'desk@contoso.com');
  });

  it('subscriptions validate the notification URL, renew with 200 and delete with 204; notify posts like Graph', async () => {
    const received: unknown[] = [];
    const app = await startServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const validationToken = url.searchParams.get('validationToken');
      if (validationToken) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(validationToken);
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      received.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(202).end();
    });
    try {
      const chat = await createChat('Subscribed chat');
      const subscribe = (resource: string) =>
        call('POST', '/subscriptions', {
          changeType: 'created',
          notificationUrl: `${app.origin}/api/graph-notifications`,
          lifecycleNotificationUrl: `${app.origin}/api/graph-lifecycle`,
          resource,
          expirationDateTime: new Date(now + 2 * 60 * 60 * 1000).toISOString(),
          clientState: 'secret-state',
        });
      // teams-cn-chatmessage: the chat must exist and (delegated) the caller must be a member.
      assert.equal((await subscribe('/chats/19:missing@thread.v2/messages')).status, 404);
      const created = await call('POST', '/subscriptions', {
        changeType: 'created',
        notificationUrl: `${app.origin}/api/graph-notifications`,
        lifecycleNotificationUrl: `${app.origin}/api/graph-lifecycle`,
        resource: `/chats/${chat.body?.id}/messages`,
        expirationDateTime: new Date(now + 2 * 60 * 60 * 1000).toISOString(),
        clientState: 'secret-state',
      });
      assert.equal(created.status, 201);
      // cn-supported-resources: one subscription per app per chat.
      assert.equal((await subscribe(`/chats/${chat.body?.id}/messages`)).status, 403);
      assert.equal((await call('POST', `/subscriptions/${created.body?.id}/reauthorize`)).status, 204);
      const renewed = await call('PATCH', `/subscriptions/${created.body?.id}`, { expirationDateTime: new Date(now + 3 * 60 * 60 * 1000).toISOString() });
      assert.equal(renewed.status, 200);
      assert.equal(await graph.notify(created.body?.id, { resourceData: { id: '1700000000000' } }), 202);
      assert.equal((received[0] as any).value[0].clientState, 'secret-state');
      assert.equal((await call('DELETE', `/subscriptions/${created.body?.id}`)).status, 204);

      const tooLong = await call('POST', '/subscriptions', {
        changeType: 'created',
        notificationUrl: `${app.origin}/api/graph-notifications`,
        resource: '/chats/19:abc@thread.v2/messages',
        expirationDateTime: new Date(now + 2 * 60 * 60 * 1000).toISOString(),
      });
      assert.equal(tooLong.status, 400, 'over an hour needs a lifecycleNotificationUrl');
    } finally {
      await app.close();
    }
  });

  it('enforces least-privileged scopes when asked to', async () => {
    const strict = new FakeGraph({ enforceScopes: true });
    const user = strict.addUser({ displayName: 'Scoped User' });
    const started = await strict.start();
    try {
      const get = (scopes: string) => fetch(`${started.baseUrl}/me`, { headers: { authorization: `Bearer ${strict.delegatedToken(user, scopes)}` } });
      const denied = await get('Chat.Create');
      assert.equal(denied.status, 403);
      assert.equal(((await denied.json()) as any).error.code, 'Forbidden');
      assert.equal((await get('User.Read')).status, 200);
    } finally {
      await started.close();
    }
  });

  it('works with the Microsoft Graph JS client (token sent to the https custom host)', async () => {
    const origin = new URL(baseUrl).origin;
    const client = Client.init({
      authProvider: (done) => done(null, token),
      baseUrl: `${origin}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set(['127.0.0.1']),
    });
    const chat = await client.api('/chats').post({ chatType: 'group', topic: 'JSM-5 via SDK', members: [member(service), member(bob)] });
    assert.match(chat.id, /^19:/);
    const me = await client.api('/me').select('id,displayName').get();
    assert.deepEqual(me.id, service.id);
    graph.assertNoViolations();
  });
});
