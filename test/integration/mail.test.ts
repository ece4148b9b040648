// The mail feature's test connection (/api/manage/mail): status without sending, a test mail from the sender to
// itself on demand, scope report, and Send-As failures explained. Fake Graph (schema-checked), real tables.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminRequest } from '../../shared/admin/request.js';
import { adminMail } from '../../shared/mail/admin.js';
import { patchServiceUser } from '../../shared/storage/serviceUsers.js';
import { updateTenant } from '../../shared/storage/tenantConnections.js';
import { startHarness, type Harness } from './meetingsHarness.js';

describe('mail test connection', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.graph.addUser({ displayName: 'Service Desk', mail: 'servicedesk@contoso.example', mailboxSettings: { userPurpose: 'shared' } });
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  const call = (method: string, action: string | undefined, query: AdminRequest['query']) =>
    adminMail(h.deps, { method, params: { action }, query, headers: {} }) as Promise<{ status: number; body: any }>;
  const step = (body: { steps: Array<{ step: string; ok: boolean; detail: string }> }, name: string) => body.steps.find((s) => s.step === name)!;

  it('reports the set-up without sending anything', async () => {
    const r = await call('GET', undefined, { tenant: h.tenantId });
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    assert.equal(r.body.mode, 'delegated');
    assert.equal(r.body.serviceUser, h.serviceUser.userPrincipalName);
    assert.deepEqual(r.body.scopes.missingRequired, []);
    assert.equal(h.graph.outbox.length, 0);
  });

  it('sends a test mail from the service user to itself', async () => {
    const r = await call('POST', 'test', { tenant: h.tenantId });
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    assert.match(step(r.body, 'send').detail, /accepted a test mail from bridge\.service@contoso\.example to itself/);
    const mail = h.graph.outbox.at(-1)!;
    assert.equal(mail.mailboxUserId, h.serviceUser.id);
    assert.deepEqual(mail.message.toRecipients, [{ emailAddress: { address: h.serviceUser.userPrincipalName } }]);
  });

  it('explains a missing Send As right on a shared mailbox', async () => {
    const before = h.graph.outbox.length;
    const r = await call('POST', 'test', { tenant: h.tenantId, from: 'servicedesk@contoso.example' });
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, false);
    const send = step(r.body, 'send');
    assert.equal(send.ok, false);
    assert.match(send.detail, /^mail_send_as_denied: /);
    assert.match(send.detail, /Delegation/);
    assert.match(send.detail, /Mail\.Send\.Shared/);
    assert.equal(h.graph.outbox.length, before);

    h.graph.allowSendAs(h.serviceUser.id, 'servicedesk@contoso.example');
    const granted = await call('POST', 'test', { tenant: h.tenantId, from: 'servicedesk@contoso.example' });
    assert.equal(granted.body.ok, true, JSON.stringify(granted.body));
    assert.equal(h.graph.outbox.at(-1)!.from, 'servicedesk@contoso.example');
  });

  it('reports missing scopes: Mail.Send.Shared degrades shared-mailbox sending, Mail.Send fails the check', async () => {
    await patchServiceUser(h.deps.tables, h.tenantId, 'mail', (u) => ({ ...u, grantedScopes: u.grantedScopes.filter((s) => s !== 'Mail.Send.Shared') }));
    let r = await call('GET', undefined, { tenant: h.tenantId });
    assert.equal(r.body.ok, true);
    assert.deepEqual(r.body.scopes.missingOptional.map((m: { scope: string }) => m.scope), ['Mail.Send.Shared']);
    assert.match(step(r.body, 'scopes').detail, /without Mail\.Send\.Shared/);

    await patchServiceUser(h.deps.tables, h.tenantId, 'mail', (u) => ({ ...u, grantedScopes: u.grantedScopes.filter((s) => s !== 'Mail.Send') }));
    r = await call('GET', undefined, { tenant: h.tenantId });
    assert.equal(r.body.ok, false);
    assert.deepEqual(r.body.scopes.missingRequired, ['Mail.Send']);
  });

  it('app-only: sends from the chosen mailbox through /users/{mailbox}/sendMail', async () => {
    await updateTenant(h.deps.tables, h.tenantId, (t) => ({ ...t, modes: { ...t.modes, mail: 'app' }, appConsentedAt: h.clock.now().toISOString() }), h.clock.now());
    h.modes.mail = 'app';
    try {
      const r = await call('POST', 'test', { tenant: h.tenantId, from: 'servicedesk@contoso.example' });
      assert.equal(r.body.ok, true, JSON.stringify(r.body));
      assert.equal(r.body.mode, 'app');
      assert.equal(h.graph.count('POST', '/users/servicedesk@contoso.example/sendMail'), 1);
    } finally {
      delete h.modes.mail;
    }
  });

  it('answers precise 4xx errors for bad input', async () => {
    assert.equal((await call('GET', undefined, {})).status, 400);
    const badFrom = await call('POST', 'test', { tenant: h.tenantId, from: 'not-an-address' });
    assert.equal(badFrom.status, 400);
    assert.match(badFrom.body.error.message, /from/);
    assert.equal((await call('GET', 'test', { tenant: h.tenantId })).status, 405);
    assert.equal((await call('GET', 'other', { tenant: h.tenantId })).status, 404);
  });
});
