// shared/identity/consent.ts: the admin-consent link and its callback, up to the point where Entra must confirm the
// tenant (the confirmed path runs against the fake Entra in test/integration/identityFlows.test.ts). The decisions:
// a refused start names the query parameter; delegated links ask for the feature's scopes, app-only ones for
// `/.default`; a multi-tenant link only when asked for; a callback is accepted once, only from the tenant the link
// names, and an unconfirmed consent connects nothing. The authority is 127.0.0.1 (../../support/unitRuntime.ts), so
// a confirmation attempt fails here as an unreachable Entra would.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { completeConsent, startConsent, type ConsentStartInput } from '../../../shared/identity/consent.js';
import { featureGraphScopes, graphScopeUris } from '../../../shared/identity/features.js';
import { readTenant } from '../../../shared/storage/tenantConnections.js';
import { unitRuntime } from '../../support/unitRuntime.js';

const start = (over: Partial<ConsentStartInput>): ConsentStartInput => ({ tenant: null, feature: 'chats', site: 'acme', mode: null, ...over });

describe('admin consent', () => {
  it('refuses a start request naming the wrong parameter, before making any state', async () => {
    const rt = unitRuntime();
    const tenant = randomUUID();
    const cases: [Partial<ConsentStartInput>, string][] = [
      [{ tenant, feature: 'calendar' }, 'feature_invalid'],
      [{ tenant, site: 'Not A Site!' }, 'site_invalid'],
      [{ tenant, mode: 'both' }, 'mode_invalid'],
      [{ tenant: null }, 'tenant_missing'],
      [{ tenant: 'common' }, 'multi_tenant_not_requested'],
      [{ tenant: 'organizations' }, 'multi_tenant_not_requested'],
      [{ tenant, multiTenant: 'true' }, 'tenant_invalid'],
      [{ tenant, multiTenant: 'yes' }, 'multi_tenant_invalid'],
      [{ tenant: 'not a tenant' }, 'tenant_invalid'],
    ];
    for (const [input, code] of cases) {
      const r = await startConsent(rt, start(input));
      assert.ok(!r.ok, JSON.stringify(input));
      assert.equal(r.code, code, JSON.stringify(input));
      assert.equal(r.status, 400);
    }
  });

  it("a delegated link asks for the feature's scopes, an app-only link for /.default, both back to the callback", async () => {
    const rt = unitRuntime();
    const tenant = randomUUID();

    const delegated = await startConsent(rt, start({ tenant: tenant.toUpperCase(), feature: 'meetings' }));
    assert.ok(delegated.ok);
    const d = new URL(delegated.url);
    assert.equal(`${d.origin}${d.pathname}`, `https://127.0.0.1:9/${tenant}/v2.0/adminconsent`, 'the tenant id, lower-cased');
    assert.equal(d.searchParams.get('scope'), graphScopeUris(featureGraphScopes('meetings')).join(' '));
    assert.doesNotMatch(d.searchParams.get('scope')!, /\.default/);
    assert.equal(d.searchParams.get('redirect_uri'), 'https://bridge.example.test/api/consent/callback');
    assert.equal(d.searchParams.get('client_id'), rt.config.entra.clientId);
    assert.ok(d.searchParams.get('state'));

    const app = await startConsent(rt, start({ tenant, mode: 'app' }));
    assert.ok(app.ok);
    assert.equal(new URL(app.url).searchParams.get('scope'), 'https://graph.microsoft.com/.default');

    const multi = await startConsent(rt, start({ multiTenant: 'true' }));
    assert.ok(multi.ok && multi.multiTenant && multi.tenantId === 'organizations');
  });

  it('a domain whose tenant cannot be looked up is a 502 that says to try again or use the id', async () => {
    const rt = unitRuntime();
    const r = await startConsent(rt, start({ tenant: 'contoso.example' }));
    assert.ok(!r.ok);
    assert.equal(r.status, 502);
    assert.equal(r.code, 'tenant_lookup_failed');
  });

  it('a declined consent is explained, and its link cannot be replayed', async () => {
    const rt = unitRuntime();
    const tenant = randomUUID();
    const link = await startConsent(rt, start({ tenant }));
    assert.ok(link.ok);
    const state = new URL(link.url).searchParams.get('state')!;

    const declined = await completeConsent(rt, new URLSearchParams({ state, error: 'access_denied', error_description: 'AADSTS65004: User declined to consent' }));
    assert.equal(declined.outcome, 'rejected');
    assert.equal(declined.page.status, 403);
    assert.match(declined.page.paragraphs.join(' '), /declined the consent.*AADSTS65004/);

    const replay = await completeConsent(rt, new URLSearchParams({ state, admin_consent: 'True', tenant }));
    assert.equal(replay.outcome, 'rejected');
    assert.equal(replay.page.status, 400);
    assert.equal(await readTenant(rt.tables, tenant), undefined);
  });

  it('consent from another tenant than the link names connects nothing', async () => {
    const rt = unitRuntime();
    const tenant = randomUUID();
    const other = randomUUID();
    const link = await startConsent(rt, start({ tenant }));
    assert.ok(link.ok);

    const r = await completeConsent(rt, new URLSearchParams({ state: new URL(link.url).searchParams.get('state')!, admin_consent: 'True', tenant: other }));

    assert.equal(r.outcome, 'rejected');
    assert.match(r.page.title, /different tenant/);
    assert.ok(r.page.paragraphs[0]!.includes(tenant) && r.page.paragraphs[0]!.includes(other));
    assert.equal(await readTenant(rt.tables, other), undefined);
    assert.equal(await readTenant(rt.tables, tenant), undefined);
  });

  it('a consent Entra does not confirm (no app token for the tenant) connects nothing', async () => {
    const rt = unitRuntime();
    const tenant = randomUUID();
    const link = await startConsent(rt, start({ tenant }));
    assert.ok(link.ok);

    const r = await completeConsent(rt, new URLSearchParams({ state: new URL(link.url).searchParams.get('state')!, admin_consent: 'True', tenant }));

    assert.equal(r.outcome, 'rejected');
    assert.match(r.page.title, /could not be confirmed/);
    assert.equal(await readTenant(rt.tables, tenant), undefined);
    assert.ok(rt.log.lines.some((l) => l.includes('consent.unconfirmed')));
  });
});
