// The Microsoft 365 connection end to end below the HTTP edge: admin consent, service-user sign-in, token refresh,
// re-authentication and parked jobs, app-only mode and disconnect — against the fake Entra authority, the fake
// Graph, the fake Key Vault (through the real KeyVaultSecretStore / SecretClient) and real Azurite.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TokenCredential } from '@azure/identity';
import { loadConfig } from '../../shared/config.js';
import { InvalidLicenceError, NeedsReauthError, PermanentError } from '../../shared/errors.js';
import { memoryLogger } from '../../shared/log.js';
import { createRuntime, type Clock } from '../../shared/runtime.js';
import { KeyVaultSecretStore } from '../../shared/secrets/keyVaultSecretStore.js';
import { adminServiceUsers, adminTenants } from '../../shared/identity/admin.js';
import { completeConsent, startConsent } from '../../shared/identity/consent.js';
import { runKeepAlive } from '../../shared/identity/keepAlive.js';
import { explainGraphError } from '../../shared/identity/graphAccess.js';
import { GraphRequestError } from '../../shared/graph/client.js';
import { tokenCacheSecretName } from '../../shared/identity/msal.js';
import { renderPage } from '../../shared/identity/pages.js';
import { completeServiceUserSignIn, startServiceUserSignIn } from '../../shared/identity/serviceUserSignIn.js';
import { getGraphToken, parkJob, refreshDelegated, resetAppOnlyClients, summariseIdentityHealth, type IdentityDeps } from '../../shared/identity/tokens.js';
import { listParkedJobs } from '../../shared/storage/parkedJobs.js';
import { readServiceUser } from '../../shared/storage/serviceUsers.js';
import { listSitesForTenant, listTenantsForSite, readTenant } from '../../shared/storage/tenantConnections.js';
import { FakeEntra } from '../fakes/entra.js';
import { FakeGraph, type FakeUser } from '../fakes/graph.js';
import { FakeKeyVault } from '../fakes/keyVault.js';
import { readTestToken } from '../fakes/tokens.js';
import { generate } from 'selfsigned';
import { storageConnectionString, peekQueueMessages, resetQueues, uniqueName } from '../support/storage.js';
import { withChangedClaims } from '../support/tokens.js';

const CLIENT_ID = '0f1e2d3c-4b5a-4697-8877-665544332211';
const PUBLIC_BASE_URL = 'https://bridge.example.test';

// Key Vault's challenge flow asks the credential for a vault token; a fixed fake one, never a managed identity.
const fakeCredential: TokenCredential = {
  getToken: async () => ({ token: 'fake-vault-token', expiresOnTimestamp: Date.now() + 3600_000 }),
};

class TestClock implements Clock {
  offsetMs = 0;
  now() {
    return new Date(Date.now() + this.offsetMs);
  }
}

describe('Microsoft 365 connection (consent, service users, tokens)', () => {
  const entra = new FakeEntra({ clientId: CLIENT_ID, appRoles: ['Chat.Create', 'OnlineMeetings.ReadWrite.All'] });
  const graph = new FakeGraph();
  const vault = new FakeKeyVault();
  const clock = new TestClock();
  const log = memoryLogger();
  const closers: Array<() => Promise<void>> = [];
  let deps: IdentityDeps;

  before(async () => {
    const e = await entra.start();
    const g = await graph.start();
    const v = await vault.start();
    closers.push(e.close, g.close, v.close);
    entra.redirectUris = [`${PUBLIC_BASE_URL}/api/consent/callback`, `${PUBLIC_BASE_URL}/api/auth/callback`];
    const config = loadConfig({
      AzureWebJobsStorage: storageConnectionString(),
      ENTRA_CLIENT_ID: CLIENT_ID,
      ENTRA_CLIENT_SECRET: entra.clientSecret,
      AUTHORITY_HOST: e.origin,
      GRAPH_BASE_URL: g.baseUrl,
      PUBLIC_BASE_URL,
      KEY_VAULT_URI: v.vaultUrl,
    });
    const secrets = new KeyVaultSecretStore(v.vaultUrl, fakeCredential, { disableChallengeResourceVerification: true });
    deps = createRuntime(config, { secrets, log, clock, credential: fakeCredential });
    resetAppOnlyClients();
  });
  after(async () => {
    for (const close of closers) await close();
  });

  /** A customer tenant known to Entra and Graph, with a licensed service user. */
  function newTenant(users: Array<Parameters<FakeGraph['addUser']>[0]> = [{ displayName: 'Bridge Service' }]) {
    const tenantId = randomUUID();
    const domain = `t${tenantId.slice(0, 8)}.onmicrosoft.com`;
    entra.addTenant({ id: tenantId, domains: [domain] });
    const added = users.map((u) => {
      const user = graph.addUser({ userPrincipalName: `${u.displayName.toLowerCase().replace(/\W+/g, '.')}@${domain}`, ...u, tenantId });
      entra.addUser(user);
      return user;
    });
    return { tenantId, users: added, site: uniqueName('site') };
  }

  /** Follows a URL on the fake authority and returns where it redirects. */
  async function follow(url: string): Promise<URL> {
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 302, `expected a redirect from ${new URL(url).pathname}, got ${res.status}: ${await res.text()}`);
    return new URL(res.headers.get('location')!);
  }

  async function consent(tenantId: string, feature: string, site: string, mode: string | null = null) {
    const start = await startConsent(deps, { tenant: tenantId, feature, site, mode });
    assert.ok(start.ok, JSON.stringify(start));
    const back = await follow(start.url);
    return completeConsent(deps, back.searchParams);
  }

  async function signIn(tenantId: string, feature: string, user: FakeUser) {
    const start = await startServiceUserSignIn(deps, { tenant: tenantId, feature });
    assert.ok(start.ok, JSON.stringify(start));
    entra.signInAs(user.id);
    const back = await follow(start.url);
    return completeServiceUserSignIn(deps, back.searchParams);
  }

  const cacheOf = (tenantId: string, user: FakeUser) => vault.secretValue(tokenCacheSecretName(tenantId, user.id));

  it('admin consent asks only for the feature\'s scopes, is confirmed with a client-credentials token, and connects site and tenant', async () => {
    const { tenantId, site } = newTenant();
    const start = await startConsent(deps, { tenant: tenantId, feature: 'meetings', site, mode: null });
    assert.ok(start.ok);
    const url = new URL(start.url);
    assert.equal(url.origin + url.pathname, `${deps.config.authorityHost}/${tenantId}/v2.0/adminconsent`);
    assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(url.searchParams.get('redirect_uri'), `${PUBLIC_BASE_URL}/api/consent/callback`);
    const scopes = url.searchParams.get('scope')!.split(' ');
    assert.ok(scopes.includes('https://graph.microsoft.com/OnlineMeetings.ReadWrite'));
    assert.ok(!scopes.some((s) => s.endsWith('/ChatMessage.Send') || s.endsWith('/Mail.Send')), 'no other feature\'s scopes');

    const before = entra.requestsTo('token').length;
    const result = await completeConsent(deps, (await follow(start.url)).searchParams);
    assert.equal(result.outcome, 'connected', JSON.stringify(result.page));
    assert.equal(result.page.status, 200);
    const confirm = entra.requestsTo('token').slice(before);
    assert.ok(confirm.some((r) => r.tenant === tenantId && r.form.grant_type === 'client_credentials' && r.status === 200), 'tenant confirmed by a client-credentials token');
    assert.ok((await readTenant(deps.tables, tenantId))?.consentedFeatures.meetings);
    assert.deepEqual(await listTenantsForSite(deps, site), [tenantId]);
    assert.deepEqual(await listSitesForTenant(deps, tenantId), [site]);
  });

  it('one tenant serves many sites and one site many tenants', async () => {
    const a = newTenant();
    const b = newTenant();
    const otherSite = uniqueName('site');
    assert.equal((await consent(a.tenantId, 'chats', a.site)).outcome, 'connected');
    assert.equal((await consent(b.tenantId, 'chats', a.site)).outcome, 'connected');
    assert.equal((await consent(a.tenantId, 'mail', otherSite)).outcome, 'connected');
    assert.deepEqual((await listTenantsForSite(deps, a.site)).sort(), [a.tenantId, b.tenantId].sort());
    assert.deepEqual((await listSitesForTenant(deps, a.tenantId)).sort(), [a.site, otherSite].sort());
    const tenant = await readTenant(deps.tables, a.tenantId);
    assert.ok(tenant?.consentedFeatures.chats && tenant.consentedFeatures.mail, 'both features recorded on the tenant');
  });

  it('a declined consent (access_denied) shows why and connects nothing', async () => {
    const { tenantId, site } = newTenant();
    entra.consentBehaviour = { error: 'access_denied', description: 'AADSTS65004: User declined to consent to access the app.' };
    try {
      const result = await consent(tenantId, 'chats', site);
      assert.equal(result.outcome, 'rejected');
      assert.equal(result.page.status, 403);
      assert.match(result.page.paragraphs.join(' '), /declined/);
      assert.equal(await readTenant(deps.tables, tenantId), undefined);
      assert.deepEqual(await listTenantsForSite(deps, site), []);
    } finally {
      entra.consentBehaviour = 'accept';
    }
  });

  it('consent_required is explained, and the error description is escaped on the page', async () => {
    const { tenantId, site } = newTenant();
    entra.consentBehaviour = { error: 'consent_required', description: 'AADSTS65004: <script>alert(1)</script>' };
    try {
      const result = await consent(tenantId, 'chats', site);
      assert.equal(result.outcome, 'rejected');
      assert.equal(result.page.status, 400);
      assert.match(result.page.paragraphs.join(' '), /Global Administrator/);
      const html = renderPage(result.page);
      assert.ok(!html.includes('<script>alert'), 'no markup from the redirect reaches the page');
      assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.equal(await readTenant(deps.tables, tenantId), undefined);
    } finally {
      entra.consentBehaviour = 'accept';
    }
  });

  it('a forged tenant in the callback is not trusted: an unknown tenant or one without the app is rejected', async () => {
    const { site } = newTenant();
    // Start an explicitly multi-tenant link ("organizations": any tenant), then forge the redirect naming a tenant Entra does not know.
    const unknownTenant = randomUUID();
    const start = await startConsent(deps, { tenant: null, multiTenant: 'true', feature: 'chats', site, mode: null });
    assert.ok(start.ok);
    const state = new URL(start.url).searchParams.get('state')!;
    const forged = new URLSearchParams({ admin_consent: 'True', tenant: unknownTenant, state, scope: 'x' });
    const result = await completeConsent(deps, forged);
    assert.equal(result.outcome, 'rejected');
    assert.match(result.page.paragraphs.join(' '), /could not obtain a token|AADSTS90002/);
    assert.equal(await readTenant(deps.tables, unknownTenant), undefined);

    // A real tenant where nobody consented: the client-credentials check fails (AADSTS700016).
    const notConsented = newTenant();
    const start2 = await startConsent(deps, { tenant: null, multiTenant: 'true', feature: 'chats', site, mode: null });
    assert.ok(start2.ok);
    const forged2 = new URLSearchParams({ admin_consent: 'True', tenant: notConsented.tenantId, state: new URL(start2.url).searchParams.get('state')! });
    const result2 = await completeConsent(deps, forged2);
    assert.equal(result2.outcome, 'rejected');
    assert.match(result2.page.paragraphs.join(' '), /AADSTS700016/);
    assert.equal(await readTenant(deps.tables, notConsented.tenantId), undefined);
    assert.deepEqual(await listTenantsForSite(deps, site), []);
  });

  it('consent that comes back from a different tenant than the link named is rejected', async () => {
    const a = newTenant();
    const b = newTenant();
    await consent(b.tenantId, 'chats', b.site); // b really consented, so its token check would pass
    const start = await startConsent(deps, { tenant: a.tenantId, feature: 'chats', site: a.site, mode: null });
    assert.ok(start.ok);
    const state = new URL(start.url).searchParams.get('state')!;
    const result = await completeConsent(deps, new URLSearchParams({ admin_consent: 'True', tenant: b.tenantId, state }));
    assert.equal(result.outcome, 'rejected');
    assert.match(result.page.title, /different tenant/);
    assert.deepEqual(await listTenantsForSite(deps, a.site), []);
  });

  it('state: tampered, expired, replayed and cross-flow states are rejected', async () => {
    const { tenantId, site } = newTenant();
    const mk = async () => {
      const s = await startConsent(deps, { tenant: tenantId, feature: 'chats', site, mode: null });
      assert.ok(s.ok);
      return new URL(s.url).searchParams.get('state')!;
    };
    const callback = (state: string) => completeConsent(deps, new URLSearchParams({ admin_consent: 'True', tenant: tenantId, state }));

    const tampered = await mk();
    const r1 = await callback(withChangedClaims(tampered, (c) => (c.jti = `${String(c.jti)}x`))); // another nonce, same signature
    assert.equal(r1.outcome, 'rejected');
    assert.match(r1.page.paragraphs[0]!, /could not be verified/);
    // A longer expiry with the old signature is also a tampering.
    assert.match((await callback(withChangedClaims(tampered, (c) => (c.exp = Number(c.exp) + 86400)))).page.paragraphs[0]!, /could not be verified/);

    const expired = await mk();
    clock.offsetMs = (deps.config.oauthStateTtlSeconds + 5) * 1000;
    try {
      const r2 = await callback(expired);
      assert.equal(r2.outcome, 'rejected');
      assert.match(r2.page.paragraphs[0]!, /expired/);
    } finally {
      clock.offsetMs = 0;
    }

    const once = await mk();
    entra.consentBehaviour = 'accept';
    entra.setConsented(tenantId, true);
    assert.equal((await callback(once)).outcome, 'connected');
    const replay = await callback(once);
    assert.equal(replay.outcome, 'rejected');
    assert.match(replay.page.paragraphs[0]!, /already used/);

    // A consent state presented to the sign-in callback.
    const crossFlow = await mk();
    const r3 = await completeServiceUserSignIn(deps, new URLSearchParams({ code: 'x', state: crossFlow }));
    assert.equal(r3.outcome, 'rejected');
    assert.match(r3.page.paragraphs[0]!, /could not be verified/);
  });

  it('a service user signs in with PKCE; the MSAL cache with the refresh token is stored in Key Vault; jobs get its token', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    const result = await signIn(tenantId, 'chats', su);
    assert.equal(result.outcome, 'signed-in', JSON.stringify(result.page));

    const authorize = entra.requestsTo('authorize').at(-1)!;
    assert.equal(authorize.query.code_challenge_method, 'S256');
    assert.ok(authorize.query.code_challenge);
    assert.ok(authorize.query.scope!.split(' ').includes('offline_access'));
    const redeem = entra.requestsTo('token').filter((r) => r.form.grant_type === 'authorization_code').at(-1)!;
    assert.equal(redeem.status, 200);
    assert.equal(redeem.form.code_verifier, '<present>');

    const blob = cacheOf(tenantId, su);
    assert.ok(blob, 'token cache stored in Key Vault');
    const latestRt = entra.refreshTokensOf(su.id).at(-1)!;
    assert.ok(blob.includes(latestRt), 'the stored cache holds the issued refresh token');
    const row = await readServiceUser(deps.tables, tenantId, 'chats');
    assert.equal(row?.status, 'active');
    assert.equal(row?.objectId, su.id);
    assert.deepEqual(row?.degraded, []);

    const token = await getGraphToken(deps, { tenantId, feature: 'chats' });
    assert.equal(token.kind, 'delegated');
    assert.equal(token.serviceUserObjectId, su.id);
    const claims = readTestToken(token.accessToken);
    assert.equal(claims?.oid, su.id);
    assert.match(claims?.scp ?? '', /ChatMessage\.Send/);
    // The validation calls matched Microsoft's Graph schema.
    assert.deepEqual(graph.violations, []);
    assert.ok(graph.requests.some((r) => r.path === '/me/licenseDetails'));
    assert.ok(graph.requests.some((r) => r.path === '/me/mailboxSettings'));
  });

  it('the keep-alive redeems the refresh token and the rotated one replaces the old one in Key Vault', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    await signIn(tenantId, 'chats', su);
    const firstRt = entra.refreshTokensOf(su.id).at(-1)!;
    const before = await readServiceUser(deps.tables, tenantId, 'chats');

    clock.offsetMs = (deps.config.tokenKeepAliveMaxAgeHours + 1) * 3600_000;
    try {
      const summary = await runKeepAlive(deps);
      assert.ok(summary.refreshed >= 1);
    } finally {
      clock.offsetMs = 0;
    }
    const refresh = entra.requestsTo('token').filter((r) => r.form.grant_type === 'refresh_token' && r.tenant === tenantId);
    assert.equal(refresh.length, 1);
    const rotatedRt = entra.refreshTokensOf(su.id).at(-1)!;
    assert.notEqual(rotatedRt, firstRt);
    const blob = cacheOf(tenantId, su)!;
    assert.ok(blob.includes(rotatedRt), 'the newest refresh token is stored');
    assert.ok(!blob.includes(firstRt), 'the old refresh token is gone from the store');
    const afterRow = await readServiceUser(deps.tables, tenantId, 'chats');
    assert.ok(Date.parse(afterRow!.lastRefreshAt) > Date.parse(before!.lastRefreshAt));
  });

  it('invalid_grant flips the service user to needs-reauth, parks jobs, and re-authentication resumes them', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    await signIn(tenantId, 'chats', su);
    const queue = uniqueName('parked-resume');
    await resetQueues([queue]);

    entra.revokeRefreshTokens(su.id);
    // Force MSAL past its cached access token, as an expired one would.
    const row = (await readServiceUser(deps.tables, tenantId, 'chats'))!;
    await assert.rejects(refreshDelegated(deps, row, { force: true }), (e: unknown) => {
      assert.ok(e instanceof NeedsReauthError);
      assert.equal(e.reauthPath, `/api/console#/microsoft-365?tenant=${tenantId}&feature=chats`);
      return true;
    });
    assert.equal((await readServiceUser(deps.tables, tenantId, 'chats'))?.status, 'needs-reauth');
    const needsReauthLines = () => log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'serviceUser.needsReauth' && l.tenantId === tenantId);
    const line = needsReauthLines()[0];
    assert.ok(line, 'one structured log line names the re-auth');
    assert.equal(line.reauthPath, `/api/console#/microsoft-365?tenant=${tenantId}&feature=chats`);
    assert.match(String(line.reason), /invalid_grant/);

    // Jobs that ask for a token now fail fast with NeedsReauthError and are parked by their handler.
    for (const n of [1, 2]) {
      const message = { v: 1, kind: 'chat.create', issueKey: `OPS-${n}` };
      await assert.rejects(getGraphToken(deps, { tenantId, feature: 'chats' }), NeedsReauthError);
      await parkJob(deps, { tenantId, feature: 'chats', queue, message, reason: 'service user needs re-authentication' });
    }
    assert.equal((await listParkedJobs(deps.tables, tenantId, 'chats')).length, 2);
    assert.equal(needsReauthLines().length, 1, 'later jobs fail fast without asking Entra or logging again');
    for (const l of log.lines) for (const rt of entra.refreshTokensOf(su.id)) assert.ok(!l.includes(rt), 'no refresh token in any log line');

    const health = await summariseIdentityHealth(deps, [site]);
    assert.equal(health.ok, false);
    const fh = health.tenants[0]!.features.chats!;
    assert.equal(fh.serviceUser?.status, 'needs-reauth');
    assert.equal(fh.serviceUser?.reauthPath, `/api/console#/microsoft-365?tenant=${tenantId}&feature=chats`);
    assert.equal(fh.parkedJobs, 2);
    const healthText = JSON.stringify(health);
    for (const rt of entra.issuedRefreshTokenOrder) assert.ok(!healthText.includes(rt));
    assert.ok(!healthText.includes(su.userPrincipalName), 'the anonymous health summary names no account');

    // Re-authentication: the same account signs in again; the parked jobs go back to their queue by themselves.
    const again = await signIn(tenantId, 'chats', su);
    assert.equal(again.outcome, 'signed-in');
    assert.match(again.page.paragraphs.join(' '), /2 waiting job/);
    assert.equal((await readServiceUser(deps.tables, tenantId, 'chats'))?.status, 'active');
    assert.equal((await listParkedJobs(deps.tables, tenantId, 'chats')).length, 0);
    const resumed = (await peekQueueMessages(queue)).map((m) => JSON.parse(m) as { issueKey: string });
    assert.deepEqual(resumed.map((m) => m.issueKey).sort(), ['OPS-1', 'OPS-2']);
    assert.equal((await getGraphToken(deps, { tenantId, feature: 'chats' })).kind, 'delegated');
  });

  it('interaction_required during the keep-alive also means needs-reauth, for every feature the account serves', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    await consent(tenantId, 'meetings', site);
    await signIn(tenantId, 'chats', su);
    await signIn(tenantId, 'meetings', su);
    entra.failRefresh(su.id, 'interaction_required');
    try {
      const summary = await runKeepAlive(deps, { force: true });
      assert.ok(summary.needsReauth >= 1);
    } finally {
      entra.clearRefreshFailure(su.id);
    }
    assert.equal((await readServiceUser(deps.tables, tenantId, 'chats'))?.status, 'needs-reauth');
    assert.equal((await readServiceUser(deps.tables, tenantId, 'meetings'))?.status, 'needs-reauth');
    // Signing in again for one feature brings back both: they share the account's token cache.
    await signIn(tenantId, 'meetings', su);
    assert.equal((await readServiceUser(deps.tables, tenantId, 'chats'))?.status, 'active');
    assert.equal((await getGraphToken(deps, { tenantId, feature: 'chats' })).serviceUserObjectId, su.id);
  });

  it('the keep-alive notices a removed licence (invalid-licence, jobs parked with the reason) and a restored one (jobs resumed)', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    await signIn(tenantId, 'chats', su);
    const queue = uniqueName('parked-licence');
    await resetQueues([queue]);
    const licences = su.licenseDetails;
    su.licenseDetails = [];
    await runKeepAlive(deps, { force: true });
    const row = await readServiceUser(deps.tables, tenantId, 'chats');
    assert.equal(row?.status, 'invalid-licence');
    assert.match(row?.statusReason ?? '', /TEAMS1/);
    // A job asking for a token now is told to park (the licence can come back), not failed.
    const refusal = await getGraphToken(deps, { tenantId, feature: 'chats' }).catch((e: unknown) => e);
    assert.ok(refusal instanceof InvalidLicenceError, String(refusal));
    assert.match(refusal.message, /TEAMS1/);
    await parkJob(deps, { tenantId, feature: 'chats', queue, message: { v: 1, kind: 'job', issueKey: 'LIC-1' }, reason: refusal.message });
    const health = await summariseIdentityHealth(deps, [site]);
    assert.equal(health.tenants[0]!.features.chats!.serviceUser!.status, 'invalid-licence');
    assert.equal(health.tenants[0]!.features.chats!.parkedJobs, 1);

    su.licenseDetails = licences;
    // Not forced: an invalid-licence service user is re-checked on every run, whatever its last refresh.
    const summary = await runKeepAlive(deps);
    assert.equal((await readServiceUser(deps.tables, tenantId, 'chats'))?.status, 'active');
    assert.ok(summary.resumed >= 1);
    assert.equal((await listParkedJobs(deps.tables, tenantId, 'chats')).length, 0);
    assert.deepEqual((await peekQueueMessages(queue)).map((m) => (JSON.parse(m) as { issueKey: string }).issueKey), ['LIC-1']);
  });

  it('a 403 from Graph is checked against the service user: a lost licence parks (also for a job that races the flag), a valid one leaves Graph\'s reason', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    await signIn(tenantId, 'chats', su);
    const forbidden = () =>
      new GraphRequestError(403, 'Forbidden', 'Forbidden', 'POST', '/chats', undefined, { tenantId, feature: 'chats', kind: 'delegated' });

    const valid = await explainGraphError(deps, forbidden());
    assert.ok(valid instanceof PermanentError && valid.code === 'graph_403', String(valid));

    const licences = su.licenseDetails;
    su.licenseDetails = [];
    try {
      const first = await explainGraphError(deps, forbidden());
      assert.ok(first instanceof InvalidLicenceError, String(first));
      assert.equal((await readServiceUser(deps.tables, tenantId, 'chats'))?.status, 'invalid-licence');
      // A second job whose 403 arrives after the flag is parked too, not failed.
      assert.ok((await explainGraphError(deps, forbidden())) instanceof InvalidLicenceError);
    } finally {
      su.licenseDetails = licences;
    }
  });

  it('a shared mailbox and an unlicensed user are refused with a clear reason, and nothing is stored', async () => {
    const { tenantId, site, users } = newTenant([
      { displayName: 'Support Desk', mailboxSettings: { userPurpose: 'shared' } },
      { displayName: 'No Licence', licenseDetails: [] },
      { displayName: 'Teams Only', licenseDetails: [{ id: randomUUID(), skuId: randomUUID(), skuPartNumber: 'TEAMS_ESSENTIALS', servicePlans: [{ servicePlanId: '57ff2da0-773e-42df-b2af-ffb7a2317929', servicePlanName: 'TEAMS1', provisioningStatus: 'Success', appliesTo: 'User' }] }] },
    ]);
    const [shared, unlicensed, teamsOnly] = users as [FakeUser, FakeUser, FakeUser];
    await consent(tenantId, 'chats', site);
    await consent(tenantId, 'bookings', site);

    const r1 = await signIn(tenantId, 'chats', shared);
    assert.equal(r1.outcome, 'refused');
    assert.equal(r1.page.status, 403);
    assert.match(r1.page.paragraphs[0]!, /shared mailbox/);

    const r2 = await signIn(tenantId, 'chats', unlicensed);
    assert.equal(r2.outcome, 'refused');
    assert.match(r2.page.paragraphs[0]!, /Microsoft Teams \(service plan TEAMS1\)/);

    const r3 = await signIn(tenantId, 'bookings', teamsOnly);
    assert.equal(r3.outcome, 'refused');
    assert.match(r3.page.paragraphs[0]!, /MICROSOFTBOOKINGS/);

    for (const u of users) assert.equal(cacheOf(tenantId, u), undefined, `no token stored for ${u.displayName}`);
    assert.equal(await readServiceUser(deps.tables, tenantId, 'chats'), undefined);
    await assert.rejects(getGraphToken(deps, { tenantId, feature: 'chats' }), (e: unknown) => e instanceof PermanentError && e.code === 'service_user_missing');
  });

  it('a missing optional scope degrades only its capability, visibly; a missing required scope refuses the sign-in', async () => {
    const { tenantId, site, users } = newTenant([{ displayName: 'Bridge Service' }]);
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    entra.revokeGrant(tenantId, 'User.Read.All');
    const result = await signIn(tenantId, 'chats', su);
    assert.equal(result.outcome, 'signed-in');
    assert.match(result.page.paragraphs.join(' '), /Limited: looking people up by proxyAddresses/);
    const row = await readServiceUser(deps.tables, tenantId, 'chats');
    assert.deepEqual(row?.degraded.map((d) => d.scope), ['User.Read.All']);
    const health = await summariseIdentityHealth(deps, [site]);
    assert.deepEqual(health.tenants[0]!.features.chats!.serviceUser!.degraded.map((d) => d.scope), ['User.Read.All']);
    const test = await adminTenants(deps, { method: 'POST', segments: [tenantId, 'test'], query: new URLSearchParams({ feature: 'chats' }), body: undefined });
    const steps = (test.body as { ok: boolean; steps: Array<{ step: string; ok: boolean; detail: string }> });
    assert.equal(steps.ok, true, JSON.stringify(steps));
    assert.match(steps.steps.find((s) => s.step === 'scopes')!.detail, /degraded: looking people up/);

    entra.revokeGrant(tenantId, 'ChatMessage.Send');
    const refused = await signIn(tenantId, 'chats', su);
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.page.paragraphs[0]!, /lacks ChatMessage\.Send/);
  });

  it('app-only mode: client-credentials tokens per tenant when the admin chose it and the call allows it', async () => {
    const { tenantId, site, users } = newTenant();
    await consent(tenantId, 'meetings', site);
    await signIn(tenantId, 'meetings', users[0]!);
    const set = await adminTenants(deps, { method: 'PUT', segments: [tenantId, 'modes'], query: new URLSearchParams(), body: { feature: 'meetings', mode: 'app' } });
    assert.equal(set.status, 200);
    assert.match(JSON.stringify(set.body), /mode=app/, 'warns that application permissions are not consented yet');
    await assert.rejects(getGraphToken(deps, { tenantId, feature: 'meetings', allowAppOnly: true }), (e: unknown) => e instanceof PermanentError && e.code === 'not_consented');

    assert.equal((await consent(tenantId, 'meetings', site, 'app')).outcome, 'connected');
    const consentUrl = entra.requestsTo('adminconsent').at(-1)!;
    assert.equal(consentUrl.query.scope, 'https://graph.microsoft.com/.default');
    const app = await getGraphToken(deps, { tenantId, feature: 'meetings', allowAppOnly: true });
    assert.equal(app.kind, 'app');
    const claims = readTestToken(app.accessToken)!;
    assert.equal(claims.tid, tenantId);
    assert.equal(claims.oid, undefined);
    assert.deepEqual(claims.roles, ['Chat.Create', 'OnlineMeetings.ReadWrite.All']);
    // A call Graph allows only delegated still gets the service user.
    assert.equal((await getGraphToken(deps, { tenantId, feature: 'meetings', allowAppOnly: false })).kind, 'delegated');
  });

  it('app-only with a certificate the admin stored: the client assertion is signed with it, no secret is sent', async () => {
    const { tenantId, site } = newTenant();
    await consent(tenantId, 'bookings', site, 'app');
    await adminTenants(deps, { method: 'PUT', segments: [tenantId, 'modes'], query: new URLSearchParams(), body: { feature: 'bookings', mode: 'app' } });
    // Entra app certificates are RSA (MSAL signs the assertion with PS256), so not the test TLS key (EC).
    const { cert, private: key } = await generate([{ name: 'commonName', value: 'jira-bridge-app' }], { keyType: 'rsa', keySize: 2048, algorithm: 'sha256' });
    const stored = await adminTenants(deps, { method: 'PUT', segments: ['app-credential'], query: new URLSearchParams(), body: { certificatePem: `${cert}${key}` } });
    assert.equal(stored.status, 204);
    entra.trustClientCertificate(cert);
    const realSecret = entra.clientSecret;
    entra.clientSecret = 'no-longer-valid'; // proves the certificate, not ENTRA_CLIENT_SECRET, authenticated the app
    try {
      const token = await getGraphToken(deps, { tenantId, feature: 'bookings', allowAppOnly: true });
      assert.equal(token.kind, 'app');
      const request = entra.requestsTo('token').filter((r) => r.tenant === tenantId && r.form.grant_type === 'client_credentials').at(-1)!;
      assert.equal(request.status, 200);
      assert.equal(request.form.client_assertion, '<present>');
      assert.equal(request.form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      assert.equal(request.form.client_secret, undefined);
    } finally {
      entra.clientSecret = realSecret;
      assert.equal((await adminTenants(deps, { method: 'DELETE', segments: ['app-credential'], query: new URLSearchParams(), body: undefined })).status, 204);
    }
  });

  it('a stale in-process copy of a revoked cache does not flag a user who just signed in again elsewhere', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    await consent(tenantId, 'chats', site);
    await signIn(tenantId, 'chats', su);
    // This process reads (and keeps) the cache; then the refresh token is revoked and, "on another instance",
    // the user signs in again, writing a fresh cache straight to the store.
    await getGraphToken(deps, { tenantId, feature: 'chats' });
    entra.revokeRefreshTokens(su.id);
    const fresh = await signIn(tenantId, 'chats', su);
    assert.equal(fresh.outcome, 'signed-in');
    const row = (await readServiceUser(deps.tables, tenantId, 'chats'))!;
    const token = await refreshDelegated(deps, row, { force: false });
    assert.ok(token.accessToken);
    assert.equal((await readServiceUser(deps.tables, tenantId, 'chats'))?.status, 'active');
  });

  it('getGraphToken says what is missing: no consent, no service user', async () => {
    const { tenantId, site } = newTenant();
    await assert.rejects(getGraphToken(deps, { tenantId, feature: 'chats' }), (e: unknown) => e instanceof PermanentError && e.code === 'not_consented');
    await consent(tenantId, 'chats', site);
    await assert.rejects(getGraphToken(deps, { tenantId, feature: 'chats' }), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'service_user_missing');
      assert.match(e.message, /\/api\/console#\/microsoft-365\?tenant=/);
      return true;
    });
  });

  it('disconnect removes the connection, the service users and their token caches, and sends nothing to Teams', async () => {
    const { tenantId, site, users } = newTenant();
    const su = users[0]!;
    const otherSite = uniqueName('site');
    await consent(tenantId, 'chats', site);
    await consent(tenantId, 'chats', otherSite);
    await signIn(tenantId, 'chats', su);
    const graphRequestsBefore = graph.requests.length;

    const first = await adminTenants(deps, { method: 'DELETE', segments: [tenantId], query: new URLSearchParams({ site }), body: undefined });
    assert.equal(first.status, 200);
    assert.deepEqual((first.body as { remainingSites: string[] }).remainingSites, [otherSite]);
    assert.ok(cacheOf(tenantId, su), 'the other site still uses the tenant: tokens stay');

    const all = await adminTenants(deps, { method: 'DELETE', segments: [tenantId], query: new URLSearchParams(), body: undefined });
    assert.equal(all.status, 200);
    assert.equal((all.body as { tenantRemoved: boolean }).tenantRemoved, true);
    assert.equal(cacheOf(tenantId, su), undefined, 'token cache deleted from Key Vault');
    assert.equal(await readServiceUser(deps.tables, tenantId, 'chats'), undefined);
    assert.equal(await readTenant(deps.tables, tenantId), undefined);
    assert.deepEqual(await listTenantsForSite(deps, otherSite), []);
    assert.equal(graph.requests.length, graphRequestsBefore, 'no Graph call: chats and meetings in Teams are untouched');
    const again = await adminTenants(deps, { method: 'DELETE', segments: [tenantId], query: new URLSearchParams(), body: undefined });
    assert.equal(again.status, 404);
  });

  it('the admin API answers bad input with precise 4xx errors', async () => {
    const bad = await adminTenants(deps, { method: 'GET', segments: ['not-a-guid'], query: new URLSearchParams(), body: undefined });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { error: { code: string } }).error.code, 'tenant_invalid');
    const mode = await adminTenants(deps, { method: 'PUT', segments: [randomUUID(), 'modes'], query: new URLSearchParams(), body: { feature: 'chats', mode: 'sometimes' } });
    assert.equal(mode.status, 400);
    const cred = await adminTenants(deps, { method: 'PUT', segments: ['app-credential'], query: new URLSearchParams(), body: { certificatePem: 'not a pem' } });
    assert.equal(cred.status, 400);
    assert.equal((cred.body as { error: { code: string } }).error.code, 'client_certificate_invalid');
    const su = await adminServiceUsers(deps, { method: 'GET', segments: [randomUUID(), 'telepathy'], query: new URLSearchParams(), body: undefined });
    assert.equal(su.status, 400);
    const start = await startConsent(deps, { tenant: 'common', feature: 'chats', site: 'acme', mode: null });
    assert.ok(!start.ok && start.status === 400 && start.code === 'multi_tenant_not_requested');
  });
});
