// shared/mail/send.ts: who a stakeholder mail is sent as (resolveSender's decisions), and sendMail through the typed
// in-memory Graph (each request checked against Microsoft's schema): the mailbox in the path, `from` for a shared
// mailbox, and Graph's refusals turned into what the admin must fix.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { PermanentError, ThrottledError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { resolveSender, sendMail, type OutgoingMail } from '../../../shared/mail/send.js';
import { writeServiceUser } from '../../../shared/storage/serviceUsers.js';
import { MemoryGraph } from '../../support/memoryGraph.js';
import { unitRuntime, type UnitRuntime } from '../../support/unitRuntime.js';

async function mailServiceUser(rt: UnitRuntime, tenantId: string, upn: string, objectId = randomUUID()): Promise<void> {
  const at = rt.clock.now().toISOString();
  await writeServiceUser(rt.tables, {
    tenantId,
    feature: 'mail',
    objectId,
    userPrincipalName: upn,
    homeAccountId: `${objectId}.${tenantId}`,
    cacheSecretName: 'c',
    status: 'active',
    grantedScopes: ['Mail.Send'],
    degraded: [],
    signedInAt: at,
    lastRefreshAt: at,
    updatedAt: at,
  });
}

const mail: OutgoingMail = { subject: 'Update', html: '<p>x</p>', to: ['boss@partner.example'], headers: { 'x-jira-issue': 'INC-1' } };

describe('mail sender and sendMail', () => {
  it('delegated: sends from the service user\'s own mailbox, and names a shared mailbox as `from` only when it is another one', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    await mailServiceUser(rt, tenantId, 'svc@contoso.example');
    const delegated = Object.assign(new MemoryGraph(), { kind: 'delegated' as const });

    assert.deepEqual(await resolveSender(rt, delegated, tenantId), { kind: 'delegated', mailbox: 'me', address: 'svc@contoso.example', from: undefined, caller: 'svc@contoso.example' });
    assert.deepEqual(await resolveSender(rt, delegated, tenantId, 'SVC@contoso.example'), {
      kind: 'delegated',
      mailbox: 'me',
      address: 'svc@contoso.example',
      from: undefined,
      caller: 'svc@contoso.example',
    }, 'its own address in another case is not a shared mailbox');
    const shared = await resolveSender(rt, delegated, tenantId, 'desk@contoso.example');
    assert.equal(shared.from, 'desk@contoso.example');
    assert.equal(shared.address, 'desk@contoso.example');
    assert.equal(shared.mailbox, 'me');
  });

  it("app-only: sends from the project's mailbox, else the service user's; with neither it says what to set", async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    const app = Object.assign(new MemoryGraph(), { kind: 'app' as const });

    await assert.rejects(resolveSender(rt, app, tenantId), (e: unknown) => e instanceof PermanentError && e.code === 'mail_sender_missing' && /stakeholderMailFrom/.test(e.message));
    await mailServiceUser(rt, tenantId, 'svc@contoso.example');
    assert.equal((await resolveSender(rt, app, tenantId)).mailbox, 'svc@contoso.example');
    const sender = await resolveSender(rt, app, tenantId, 'desk@contoso.example');
    assert.deepEqual(sender, { kind: 'app', mailbox: 'desk@contoso.example', address: 'desk@contoso.example', caller: 'the app (app-only Mail.Send)' });
  });

  it('sends through /me (delegated) or the sender\'s mailbox (app-only), with `from` and the x- headers', async () => {
    const graph = new MemoryGraph();
    const svc = graph.signIn(graph.addUser({ displayName: 'Svc' }));
    const desk = graph.addUser({ displayName: 'Desk' });
    graph.sendAsGrants.add(`${svc.id}|${desk.mail}`);

    await sendMail(graph.session(), { kind: 'delegated', mailbox: 'me', address: desk.mail!, from: desk.mail!, caller: svc.userPrincipalName }, mail);
    assert.equal(graph.made('POST', /^\/me\/sendMail$/).length, 1);
    assert.equal(graph.outbox[0]!.message.from?.emailAddress?.address, desk.mail);
    assert.deepEqual(graph.outbox[0]!.message.internetMessageHeaders, [{ name: 'x-jira-issue', value: 'INC-1' }]);
    assert.equal(graph.outbox[0]!.saveToSentItems, true);

    const appGraph = new MemoryGraph();
    const box = appGraph.addUser({ displayName: 'Desk' });
    await sendMail(appGraph.session(), { kind: 'app', mailbox: box.userPrincipalName, address: box.userPrincipalName, caller: 'the app' }, mail);
    assert.equal(appGraph.outbox[0]!.mailboxUserId, box.id);
    assert.equal(appGraph.outbox[0]!.message.from, undefined);
    graph.assertNoViolations();
    appGraph.assertNoViolations();
  });

  it("turns Graph's refusals into the fix (permanent), and leaves server errors and throttling to the retry", async () => {
    const graph = new MemoryGraph();
    const svc = graph.signIn(graph.addUser({ displayName: 'Svc' }));
    const sender = { kind: 'delegated' as const, mailbox: 'me', address: 'desk@contoso.example', from: 'desk@contoso.example', caller: svc.userPrincipalName };

    await assert.rejects(sendMail(graph.session(), sender, mail), (e: unknown) => e instanceof PermanentError && e.code === 'mail_send_as_denied' && e.details?.graphCode === 'ErrorSendAsDenied');
    graph.fail({ url: /sendMail$/, status: 403, code: 'ErrorAccessDenied' });
    await assert.rejects(sendMail(graph.session(), { ...sender, from: undefined, address: svc.userPrincipalName }, mail), (e: unknown) => e instanceof PermanentError && e.code === 'mail_forbidden' && /Mail\.Send/.test(e.message));
    graph.fail({ url: /sendMail$/, status: 500, code: 'generalException' });
    await assert.rejects(sendMail(graph.session(), { ...sender, from: undefined }, mail), (e: unknown) => e instanceof GraphRequestError && e.status === 500);
    graph.fail({ url: /sendMail$/, status: 429, code: 'TooManyRequests', retryAfterSeconds: 7 });
    await assert.rejects(sendMail(graph.session(), { ...sender, from: undefined }, mail), (e: unknown) => e instanceof ThrottledError && e.retryAfterSeconds === 7);
    assert.equal(graph.outbox.length, 0);
  });
});
