// Mail → Jira connected with the mailbox owner's own (user) consent, without any admin consent for mail-in: over
// HTTP on the local Functions host, through the fake Entra modelling the tenant's user consent setting. The admin
// path is in mailInHttp.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FakeUser } from '../fakes/graph.js';
import { startBridge, type Bridge } from '../support/bridge.js';

/** Opens a link like a browser: follows the redirects through the app and the fake Entra, returns the last page. */
async function open(url: string): Promise<{ status: number; url: string; text: string }> {
  let current = url;
  for (let hop = 0; hop < 6; hop++) {
    const r = await fetch(current, { redirect: 'manual' });
    const location = r.headers.get('location');
    if (r.status < 300 || r.status >= 400 || !location) return { status: r.status, url: current, text: await r.text() };
    await r.arrayBuffer();
    current = new URL(location, current).toString();
  }
  throw new Error(`too many redirects from ${url}`);
}

describe('mail → Jira with user consent', () => {
  let bridge: Bridge;
  let owner: FakeUser;
  before(async () => {
    bridge = await startBridge({ features: [] });
    // Test files share Azurite and the fake tenant id: start from a tenant no one connected (an earlier file's
    // mail-in consent or account would otherwise still be recorded), then admin consent for chats only (as in most
    // tenants); mail-in has none.
    const reset = await bridge.admin('DELETE', `tenants/${bridge.tenantId}`);
    assert.ok(reset.status === 200 || reset.status === 404, JSON.stringify(reset.body));
    await bridge.connectFeature('chats');
    owner = bridge.graph.addUser({ displayName: 'Mailbox Owner', userPrincipalName: 'helpdesk.owner@contoso.example' });
    bridge.entra.addUser(owner);
  });
  after(async () => {
    await bridge?.admin('DELETE', `mail-in/${bridge.siteId}/OWN`);
    bridge.graph.assertNoViolations();
    await bridge?.stop();
  });

  const signInLink = async () => {
    const r = await bridge.admin('POST', 'invitations', { kind: 'sign-in', tenant: bridge.tenantId, feature: 'mail-in' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.url as string;
  };
  const tenant = () => bridge.entra.tenants.get(bridge.tenantId)!;

  it('a tenant that does not let users consent: the sign-in fails with what to do, and nothing is connected', async () => {
    tenant().userConsent = 'block';
    bridge.entra.signInAs(owner.id);
    const page = await open(await signInLink());
    assert.equal(page.status, 403, page.text);
    assert.equal(new URL(page.url).pathname, '/api/auth/callback');
    assert.match(page.text, /Need admin approval/);
    assert.match(page.text, /does not let users consent to apps themselves/);
    assert.match(page.text, /admin consent link for mail-in/);
    assert.equal(bridge.entra.userGrants.get(owner.id), undefined, 'no grant was made');
    const users = await bridge.admin('GET', `service-users/${bridge.tenantId}`);
    assert.ok(!users.body.serviceUsers.some((u: { feature: string }) => u.feature === 'mail-in'), 'no mail-in account stored');
  });

  it('a mailbox owner consents for themselves to the mail-in permissions only, and the source works', async () => {
    tenant().userConsent = 'allow';
    const adminGrants = [...tenant().delegatedGrants].sort();
    bridge.entra.signInAs(owner.id);
    const page = await open(await signInLink());
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /signed in for mail-in/);
    assert.match(page.text, /user consent/);

    // The authorize request asked for mail-in's permissions and the sign-in basics, nothing of another feature.
    const authorize = bridge.entra.requestsTo('authorize').at(-1)!;
    const asked = authorize.query.scope!.split(' ').map((s) => s.replace('https://graph.microsoft.com/', '')).sort();
    assert.deepEqual(asked, ['Mail.Read', 'Mail.Read.Shared', 'Mail.ReadWrite', 'Mail.ReadWrite.Shared', 'MailboxSettings.Read', 'User.Read', 'offline_access', 'openid', 'profile'].sort());
    // The owner's consent is theirs alone: granted to their account, not tenant-wide.
    assert.deepEqual([...bridge.entra.userGrants.get(owner.id)!].sort(), ['mail.read', 'mail.read.shared', 'mail.readwrite', 'mail.readwrite.shared', 'mailboxsettings.read', 'user.read'].sort().filter((s) => !tenant().delegatedGrants.has(s)));
    assert.deepEqual([...tenant().delegatedGrants].sort(), adminGrants, 'no admin (tenant-wide) grant was made');

    const put = await bridge.admin('PUT', `mail-in/${bridge.siteId}/OWN`, { tenantId: bridge.tenantId });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const test = await bridge.admin('POST', `mail-in/${bridge.siteId}/OWN/test`);
    assert.equal(test.body.ok, true, JSON.stringify(test.body));
    const folder = test.body.steps.find((s: { step: string }) => s.step === 'folder');
    assert.match(folder.detail, /read folder "Inbox" of the mailbox of helpdesk\.owner@contoso\.example/);
  });

  it('the chats feature still needs an admin\'s consent: user consent is for mail-in only', async () => {
    const other = await bridge.admin('POST', 'invitations', { kind: 'sign-in', tenant: '3e0c1b5a-5d4f-4e2a-9c1b-8a7f6e5d4c3b', feature: 'chats' });
    assert.equal(other.status, 201);
    const page = await open(other.body.url);
    assert.equal(page.status, 409, page.text);
    assert.match(page.text, /has not consented to the chats feature/);
  });
});
