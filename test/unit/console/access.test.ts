// The console's session cookie and call authorisation (shared/console/session.ts, access.ts) and the route
// matcher its API dispatch uses (shared/http/routeTemplate.ts).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { authorizeConsoleCall, isLoopbackRequest } from '../../../shared/console/access.js';
import { createSessionCookie, readSession, resetSessionKeyCache } from '../../../shared/console/session.js';
import { compileTemplate, findTemplate, matchTemplate } from '../../../shared/http/routeTemplate.js';
import { LocalFileSecretStore } from '../../../shared/secrets/localFileSecretStore.js';

describe('console session and access', () => {
  let now = new Date('2026-12-04T10:00:00Z');
  let deps: Parameters<typeof authorizeConsoleCall>[0];
  const origin = 'https://bridge.example.test';
  before(async () => {
    resetSessionKeyCache();
    const secrets = new LocalFileSecretStore(path.join(await mkdtemp(path.join(tmpdir(), 'console-')), 'secrets.json'));
    deps = { secrets, clock: { now: () => now }, config: { console: { sessionMinutes: 30 }, publicBaseUrl: origin } };
  });

  const admin = { sub: 'oid-1', name: 'admin@contoso.example', roles: ['Bridge.Admin'], via: 'entra' as const };

  it('a session cookie is HttpOnly, Secure, SameSite=Lax, __Host- and reads back; a tampered one does not', async () => {
    const { cookie, session } = await createSessionCookie(deps, admin);
    assert.equal(cookie.name, '__Host-bridge-console');
    assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path, cookie.maxAge], [true, true, 'Lax', '/', 1800]);
    assert.equal(cookie.value.split('.').length, 5, 'a compact JWE');
    assert.ok(!cookie.value.includes(Buffer.from('admin@contoso').toString('base64url').slice(0, 10)), 'the claims are encrypted, not just encoded');
    const read = await readSession(deps, `other=1; ${cookie.name}=${cookie.value}`);
    assert.equal(read?.sub, 'oid-1');
    assert.equal(read?.csrf, session.csrf);
    const parts = cookie.value.split('.');
    parts[3] = parts[3]!.slice(0, -2) + (parts[3]!.endsWith('AA') ? 'BB' : 'AA');
    assert.equal(await readSession(deps, `${cookie.name}=${parts.join('.')}`), undefined, 'tampered ciphertext');
  });

  it('an expired session is no session', async () => {
    const { cookie } = await createSessionCookie(deps, admin);
    now = new Date(now.getTime() + 31 * 60_000);
    try {
      assert.equal(await readSession(deps, `${cookie.name}=${cookie.value}`), undefined);
    } finally {
      now = new Date('2026-12-04T10:00:00Z');
    }
  });

  it('reads need the session; changes also need the same Origin and the CSRF token', async () => {
    const { cookie, session } = await createSessionCookie(deps, admin);
    const c = `${cookie.name}=${cookie.value}`;
    const code = async (method: string, headers: Record<string, string>) => {
      const r = await authorizeConsoleCall(deps, { method, headers });
      return r.ok ? 'ok' : ((r.outcome.body as { error: { code: string } }).error.code);
    };
    assert.equal(await code('GET', {}), 'not_signed_in');
    assert.equal(await code('GET', { cookie: c }), 'ok');
    assert.equal(await code('POST', { cookie: c, 'x-csrf-token': session.csrf }), 'cross_site_request', 'no Origin');
    assert.equal(await code('POST', { cookie: c, origin: 'https://evil.example', 'x-csrf-token': session.csrf }), 'cross_site_request');
    assert.equal(await code('DELETE', { cookie: c, origin }), 'csrf_token_invalid');
    assert.equal(await code('PUT', { cookie: c, origin, 'x-csrf-token': 'x'.repeat(session.csrf.length) }), 'csrf_token_invalid');
    assert.equal(await code('PUT', { cookie: c, origin, 'x-csrf-token': session.csrf }), 'ok');
    const other = await createSessionCookie(deps, { ...admin, roles: [] });
    assert.equal(await code('GET', { cookie: `${other.cookie.name}=${other.cookie.value}` }), 'not_allowed');
  });

  it('loopback means a loopback Host and no proxy in between', () => {
    assert.equal(isLoopbackRequest({ host: '127.0.0.1:7071' }), true);
    assert.equal(isLoopbackRequest({ host: 'localhost:7071' }), true);
    assert.equal(isLoopbackRequest({ host: 'attacker.example:7071' }), false, 'DNS rebinding');
    assert.equal(isLoopbackRequest({ host: '127.0.0.1:7071', 'x-forwarded-for': '203.0.113.9' }), false, 'through a tunnel');
  });
});

describe('route templates for the console dispatch', () => {
  const routes = ['manage/sites/{siteId?}', 'manage/sites/{siteId}/secrets/{secretKind}', 'manage/sites/{siteId}/projects/{projectKey}', 'manage/poison/{queue?}/{action?}'].map((t) => ({ route: compileTemplate(t) }));
  it('matches literals case-insensitively, fills params, decodes them, and prefers literals', () => {
    assert.deepEqual(matchTemplate(routes[0]!.route, 'manage/sites'), {});
    assert.deepEqual(matchTemplate(routes[0]!.route, 'MANAGE/sites/acme'), { siteId: 'acme' });
    assert.equal(matchTemplate(routes[0]!.route, 'manage/sites/acme/extra'), undefined);
    assert.deepEqual(findTemplate(routes, 'manage/sites/acme/secrets/webhook-secret')?.params, { siteId: 'acme', secretKind: 'webhook-secret' });
    assert.equal(findTemplate(routes, 'manage/sites/acme/projects/INC')?.entry.route.template, 'manage/sites/{siteId}/projects/{projectKey}');
    assert.deepEqual(findTemplate(routes, 'manage/poison/chat-jobs/replay')?.params, { queue: 'chat-jobs', action: 'replay' });
    assert.deepEqual(matchTemplate(routes[0]!.route, 'manage/sites/a%20b'), { siteId: 'a b' });
    assert.equal(matchTemplate(routes[0]!.route, 'manage/sites/%E0%A4%A'), undefined, 'malformed escapes do not throw');
    assert.equal(matchTemplate(routes[0]!.route, 'manage//sites'), undefined);
  });
});
