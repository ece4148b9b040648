// The Microsoft 365 connection over real HTTP: the app runs in the local Functions host (dev/testing.ts) against
// real Azurite, the fake Entra authority and the fake Graph. An admin's browser is played by fetch: it follows the
// redirects between the app and the authority, exactly as Location headers send it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../dev/testing.js';
import { tokenCacheSecretName } from '../../shared/identity/msal.js';
import { FakeEntra } from '../fakes/entra.js';
import { FakeGraph } from '../fakes/graph.js';
import { uniqueName } from '../support/storage.js';

const CLIENT_ID = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
// The public origin Entra redirects to; the test maps it onto the local host's address, as a front door would.
const PUBLIC_BASE_URL = 'https://jira-bridge.example.test';

describe('Microsoft 365 connection over HTTP', () => {
  const entra = new FakeEntra({ clientId: CLIENT_ID });
  const graph = new FakeGraph();
  const closers: Array<() => Promise<unknown>> = [];
  let app: RunningApp;
  let secretsFile: string;
  const tenantId = randomUUID();
  const site = uniqueName('site');
  let serviceUserId: string;

  before(async () => {
    const e = await entra.start();
    const g = await graph.start();
    closers.push(e.close, g.close);
    entra.redirectUris = [`${PUBLIC_BASE_URL}/api/consent/callback`, `${PUBLIC_BASE_URL}/api/auth/callback`];
    entra.addTenant({ id: tenantId, domains: ['fabrikam.onmicrosoft.com'] });
    const su = graph.addUser({ displayName: 'Jira Bridge', userPrincipalName: 'jira.bridge@fabrikam.onmicrosoft.com', tenantId });
    entra.addUser(su);
    serviceUserId = su.id;
    const dir = await mkdtemp(path.join(tmpdir(), 'identity-http-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    secretsFile = path.join(dir, 'secrets.json');
    app = await startApp({
      env: {
        ENTRA_CLIENT_ID: CLIENT_ID,
        ENTRA_CLIENT_SECRET: entra.clientSecret,
        AUTHORITY_HOST: e.origin,
        GRAPH_BASE_URL: g.baseUrl,
        PUBLIC_BASE_URL,
        LOCAL_SECRETS_FILE: secretsFile,
        KEY_VAULT_URI: '',
        // An app setting, as the Bicep sets it: the host resolves %TOKEN_KEEPALIVE_SCHEDULE% from settings only
        // and puts the timer in error without it.
        TOKEN_KEEPALIVE_SCHEDULE: '0 17 */6 * * *',
      },
    });
    closers.unshift(() => app.stop());
  });
  after(async () => {
    for (const close of closers) await close();
  });

  const local = (url: string) => {
    const u = new URL(url);
    assert.equal(u.origin, PUBLIC_BASE_URL);
    return `${app.baseUrl}${u.pathname}${u.search}`;
  };
  async function redirectOf(url: string): Promise<string> {
    // consent/start and service-user/start need the function key (authLevel function); Entra gets none.
    const res = await fetch(url, { redirect: 'manual', headers: url.startsWith(app.baseUrl) ? { 'x-functions-key': app.functionKey } : {} });
    assert.equal(res.status, 302, `${url} answered ${res.status}: ${await res.text()}`);
    return res.headers.get('location')!;
  }

  it('registers every identity route with the intended auth level, and the keep-alive timer on its setting', () => {
    const byName = new Map(app.functions.map((f) => [f.name, f]));
    const expected: Record<string, [string, string]> = {
      consentStart: ['consent/start', 'function'],
      consentCallback: ['consent/callback', 'anonymous'],
      serviceUserStart: ['service-user/start', 'function'],
      authCallback: ['auth/callback', 'anonymous'],
      adminTenants: ['manage/tenants/{tenantId?}/{action?}', 'function'],
      adminServiceUsers: ['manage/service-users/{tenantId?}/{feature?}/{action?}', 'function'],
    };
    for (const [name, [route, authLevel]] of Object.entries(expected)) {
      assert.equal(byName.get(name)?.route, route, name);
      assert.equal(byName.get(name)?.authLevel, authLevel, name);
    }
    assert.equal(byName.get('tokenKeepAlive')?.triggerType, 'timerTrigger');
    assert.equal(byName.get('tokenKeepAlive')?.schedule, '%TOKEN_KEEPALIVE_SCHEDULE%');
  });

  it('consent/start validates its input with precise JSON errors', async () => {
    const res = await app.fetch(`/api/consent/start?tenant=${tenantId}&feature=teleport&site=${site}`);
    assert.equal(res.status, 400);
    assert.deepEqual(((await res.json()) as { error: { code: string } }).error.code, 'feature_invalid');
    const common = await app.fetch(`/api/consent/start?tenant=common&feature=chats&site=${site}`);
    assert.equal(common.status, 400);
    const post = await app.fetch(`/api/consent/start?tenant=${tenantId}&feature=chats&site=${site}`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('consent link as JSON for a Jira admin to send, then the Microsoft admin consents and sees a confirmation page', async () => {
    const res = await app.fetch(`/api/consent/start?tenant=${tenantId}&feature=chats&site=${site}&format=json`);
    assert.equal(res.status, 200);
    const { url } = (await res.json()) as { url: string };
    assert.ok(url.startsWith(`${entra.origin}/${tenantId}/v2.0/adminconsent?`));

    const callback = local(await redirectOf(url));
    const page = await fetch(callback);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const html = await page.text();
    assert.match(html, /Microsoft 365 connected for the chats feature/);
    assert.match(html, new RegExp(site));

    // The same callback again (a reload, or someone replaying the URL): refused.
    const replay = await fetch(callback);
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /already used/);

    const list = await app.fetch(`/api/manage/tenants?site=${site}`);
    const body = (await list.json()) as { tenants: Array<{ tenantId: string; features: Record<string, { mode: string }> }> };
    assert.equal(body.tenants[0]?.tenantId, tenantId);
    assert.equal(body.tenants[0]?.features.chats?.mode, 'delegated');
  });

  it('consent/start without format redirects the browser straight to the admin-consent page', async () => {
    const res = await app.fetch(`/api/consent/start?tenant=${tenantId}&feature=meetings&site=${site}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location')!);
    assert.equal(location.pathname, `/${tenantId}/v2.0/adminconsent`);
    assert.equal(location.searchParams.get('redirect_uri'), `${PUBLIC_BASE_URL}/api/consent/callback`);
  });

  describe('consent links for a domain or for any tenant', () => {
    const otherTenantId = randomUUID();
    const consentJson = async (query: string) => {
      const res = await app.fetch(`/api/consent/start?${query}&format=json`);
      return { status: res.status, body: (await res.json()) as any };
    };
    before(() => {
      entra.addTenant({ id: otherTenantId, domains: ['northwind.example'] });
    });

    it('a link made for a verified domain is resolved to that tenant\'s id when it is made, and the page names both', async () => {
      const { status, body } = await consentJson(`tenant=fabrikam.onmicrosoft.com&feature=bookings&site=${site}`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.tenantId, tenantId);
      assert.equal(body.multiTenant, false);
      assert.ok(body.url.startsWith(`${entra.origin}/${tenantId}/v2.0/adminconsent?`), body.url);
      const discovery = entra.requests.filter((r) => r.endpoint === 'openid-configuration' && r.tenant === 'fabrikam.onmicrosoft.com');
      assert.equal(discovery.length, 1, 'looked up through the OpenID configuration');

      const page = await fetch(local(await redirectOf(body.url)));
      const html = await page.text();
      assert.equal(page.status, 200, html);
      assert.match(html, new RegExp(`Tenant ${tenantId} \\(fabrikam\\.onmicrosoft\\.com\\) is now connected`));
    });

    it('a domain link only accepts its own tenant back: a consent from another tenant connects nothing', async () => {
      // northwind really consented (through an explicit multi-tenant link), so its token check alone would pass.
      entra.organizationsTenant = otherTenantId;
      const multi = await consentJson(`multiTenant=true&feature=chats&site=${uniqueName('site')}`);
      assert.equal((await fetch(local(await redirectOf(multi.body.url)))).status, 200);

      const linkSite = uniqueName('site');
      const { body } = await consentJson(`tenant=fabrikam.onmicrosoft.com&feature=chats&site=${linkSite}`);
      const state = new URL(body.url).searchParams.get('state')!;
      const forged = `${app.baseUrl}/api/consent/callback?${new URLSearchParams({ admin_consent: 'True', tenant: otherTenantId, state })}`;
      const page = await fetch(forged);
      const html = await page.text();
      assert.equal(page.status, 400, html);
      assert.match(html, /different tenant/);
      assert.match(html, new RegExp(`made for tenant ${tenantId} \\(fabrikam\\.onmicrosoft\\.com\\)`));
      const list = (await (await app.fetch(`/api/manage/tenants?site=${linkSite}`)).json()) as { tenants: unknown[] };
      assert.deepEqual(list.tenants, [], 'nothing linked to the site');
    });

    it('an unknown domain is refused when the link is made (AADSTS90002 from the OpenID configuration)', async () => {
      const { status, body } = await consentJson(`tenant=no-such-tenant.example&feature=chats&site=${site}`);
      assert.equal(status, 400);
      assert.equal(body.error.code, 'tenant_not_found');
      assert.match(body.error.message, /no-such-tenant\.example.*AADSTS90002/);
    });

    it('organizations or common only with an explicit multiTenant=true; the page then says which tenant was connected', async () => {
      for (const t of ['organizations', 'common']) {
        const { status, body } = await consentJson(`tenant=${t}&feature=chats&site=${site}`);
        assert.equal(status, 400, t);
        assert.equal(body.error.code, 'multi_tenant_not_requested');
        assert.match(body.error.message, /multiTenant=true/);
      }
      entra.organizationsTenant = otherTenantId;
      const linkSite = uniqueName('site');
      const { status, body } = await consentJson(`multiTenant=true&feature=meetings&site=${linkSite}`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.multiTenant, true);
      assert.ok(body.url.startsWith(`${entra.origin}/organizations/v2.0/adminconsent?`));
      const html = await (await fetch(local(await redirectOf(body.url)))).text();
      assert.match(html, new RegExp(`Tenant ${otherTenantId} is now connected`));
      assert.match(html, new RegExp(`multi-tenant link: it connected the tenant of the administrator who consented, ${otherTenantId}`));
    });
  });

  it('the service user signs in through the browser; its token cache lands in the secret store; test connection passes', async () => {
    const start = await redirectOf(`${app.baseUrl}/api/service-user/start?tenant=${tenantId}&feature=chats`);
    assert.ok(start.startsWith(`${entra.origin}/${tenantId}/oauth2/v2.0/authorize?`));
    entra.signInAs(serviceUserId);
    const page = await fetch(local(await redirectOf(start)));
    const html = await page.text();
    assert.equal(page.status, 200, html);
    assert.match(html, /jira\.bridge@fabrikam\.onmicrosoft\.com now acts for the chats feature/);

    const stored = JSON.parse(await readFile(secretsFile, 'utf8')) as Record<string, string>;
    const cache = stored[tokenCacheSecretName(tenantId, serviceUserId)];
    assert.ok(cache?.includes(entra.refreshTokensOf(serviceUserId).at(-1)!), 'the MSAL cache with the refresh token is stored');

    const users = await (await app.fetch(`/api/manage/service-users/${tenantId}`)).json() as { serviceUsers: Array<{ feature: string; status: string }> };
    assert.deepEqual(users.serviceUsers.map((u) => [u.feature, u.status]), [['chats', 'active']]);
    const usersText = JSON.stringify(users);
    assert.ok(!usersText.includes('rt.'), 'the admin API never shows a token');

    const test = await app.fetch(`/api/manage/tenants/${tenantId}/test?feature=chats`, { method: 'POST' });
    const result = (await test.json()) as { ok: boolean; steps: Array<{ step: string; ok: boolean }> };
    assert.equal(test.status, 200);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(result.steps.map((s) => s.step), ['consent', 'token', 'me', 'scopes', 'licence']);
  });

  it('login_hint on the service-user start link reaches the sign-in page (and a malformed one is refused)', async () => {
    const hint = 'jira.bridge@fabrikam.onmicrosoft.com';
    const start = new URL(await redirectOf(`${app.baseUrl}/api/service-user/start?tenant=${tenantId}&feature=chats&login_hint=${encodeURIComponent(hint)}`));
    assert.equal(start.searchParams.get('login_hint'), hint);
    assert.notEqual(start.searchParams.get('prompt'), 'select_account', 'Entra refuses select_account together with a hint');
    entra.signInAs(serviceUserId);
    const page = await fetch(local(await redirectOf(start.toString())));
    assert.equal(page.status, 200, await page.text());
    const authorize = entra.requests.filter((r) => r.endpoint === 'authorize').at(-1)!;
    assert.equal(authorize.query.login_hint, hint);

    const bad = await app.fetch(`/api/service-user/start?tenant=${tenantId}&feature=chats&login_hint=not%20an%20account`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'login_hint_invalid');
  });

  it('an authorize error comes back as a readable page', async () => {
    const start = await redirectOf(`${app.baseUrl}/api/service-user/start?tenant=${tenantId}&feature=chats`);
    entra.failNextAuthorize('access_denied', 'AADSTS65004: User declined to consent.');
    const page = await fetch(local(await redirectOf(start)));
    assert.equal(page.status, 403);
    assert.match(await page.text(), /cancelled or the permissions were declined/);
  });

  it('admin API: choose app-only for a feature, and disconnect the site (tokens gone, nothing sent to Teams)', async () => {
    const mode = await app.fetch(`/api/manage/tenants/${tenantId}/modes`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feature: 'chats', mode: 'app' }),
    });
    assert.equal(mode.status, 200);
    const bad = await app.fetch(`/api/manage/tenants/${tenantId}/modes`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(bad.status, 400);

    const graphCalls = graph.requests.length;
    const del = await app.fetch(`/api/manage/tenants/${tenantId}?site=${site}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal(((await del.json()) as { tenantRemoved: boolean }).tenantRemoved, true);
    const stored = JSON.parse(await readFile(secretsFile, 'utf8')) as Record<string, string>;
    assert.equal(stored[tokenCacheSecretName(tenantId, serviceUserId)], undefined);
    assert.equal(graph.requests.length, graphCalls);
    const list = (await (await app.fetch(`/api/manage/tenants?site=${site}`)).json()) as { tenants: unknown[] };
    assert.deepEqual(list.tenants, []);
  });
});
