// OAuth state: signed (a JWT, shared/identity/signedToken.ts), bound to its flow, expiring and single-use
// (shared/identity/state.ts), on real Azurite; and not interchangeable with the app's other signed tokens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../shared/config.js';
import { SignJWT, decodeJwt } from 'jose';
import { consumeOneTime, createOneTime } from '../../../shared/console/oneTime.js';
import { consumeState, createState, describeStateFailure, resetStateKeyCache, stateFlow, stateSigningKeySecretName } from '../../../shared/identity/state.js';
import { memoryLogger } from '../../../shared/log.js';
import { selfLinkUrl, startSelfLink } from '../../../shared/people/selfLink.js';
import { MemorySecretStore } from '../../../shared/secrets/secretStore.js';
import { createTableAccess } from '../../../shared/storage/tables.js';
import { storageConnectionString } from '../../support/storage.js';
import { resignedWithOtherKey, withChangedClaims } from '../../support/tokens.js';

function setup() {
  resetStateKeyCache();
  const config = loadConfig({ AzureWebJobsStorage: storageConnectionString(), OAUTH_STATE_TTL_SECONDS: '60' });
  let offset = 0;
  const deps = {
    config,
    secrets: new MemorySecretStore(),
    tables: createTableAccess(config.storage),
    clock: { now: () => new Date(Date.now() + offset) },
  };
  return { deps, advance: (ms: number) => (offset += ms) };
}

const bound = { tenant: '3f0e7a52-1b2c-4d3e-8f9a-0b1c2d3e4f5a', feature: 'chats' as const, siteId: 'site-1' };

describe('OAuth state', () => {
  it('round-trips once and returns what the flow was bound to', async () => {
    const { deps } = setup();
    const state = await createState(deps, 'consent', bound);
    const first = await consumeState(deps, 'consent', state);
    assert.ok(first.ok);
    assert.equal(first.record.tenant, bound.tenant);
    assert.equal(first.record.siteId, 'site-1');
    assert.deepEqual(await consumeState(deps, 'consent', state), { ok: false, reason: 'already-used' });
  });

  it('the signing key is generated on first use, kept in the secret store, and never appears in the state', async () => {
    const { deps } = setup();
    assert.equal(await deps.secrets.get(stateSigningKeySecretName), undefined);
    const state = await createState(deps, 'consent', bound);
    const key = await deps.secrets.get(stateSigningKeySecretName);
    assert.ok(key && Buffer.from(key, 'base64').length === 32);
    assert.ok(!state.includes(key));
    // A fresh process (cache dropped) reads the same key and still verifies the state.
    resetStateKeyCache();
    assert.ok((await consumeState(deps, 'consent', state)).ok);
  });

  it('rejects a state signed with another key, an altered one, and garbage', async () => {
    const a = setup();
    const state = await createState(a.deps, 'consent', bound);
    const b = setup(); // another deployment: different key
    await createState(b.deps, 'consent', bound);
    assert.deepEqual(await consumeState(b.deps, 'consent', state), { ok: false, reason: 'bad-signature' });
    resetStateKeyCache();
    // A longer expiry, another nonce, another flow: each with the original signature.
    const later = withChangedClaims(state, (c) => (c.exp = Number(c.exp) + 3600));
    assert.deepEqual(await consumeState(a.deps, 'consent', later), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(await consumeState(a.deps, 'consent', withChangedClaims(state, (c) => (c.jti = 'another-nonce'))), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(await consumeState(a.deps, 'sign-in', withChangedClaims(state, (c) => (c.flow = 'sign-in'))), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(await consumeState(a.deps, 'consent', await resignedWithOtherKey(state)), { ok: false, reason: 'bad-signature' });
    // An unsigned token (`alg: none`, RFC 8725 §2.1) and garbage.
    const [, payload] = state.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    assert.deepEqual(await consumeState(a.deps, 'consent', unsigned), { ok: false, reason: 'malformed' });
    assert.deepEqual(await consumeState(a.deps, 'consent', 'v1.x.y'), { ok: false, reason: 'malformed' });
    assert.deepEqual(await consumeState(a.deps, 'consent', null), { ok: false, reason: 'missing' });
    // What the person reads for these (the same words as before the JWT format).
    assert.match(describeStateFailure('bad-signature'), /could not be verified/);
    assert.match(describeStateFailure('malformed'), /could not be verified/);
    // The untouched state still works: rejections consumed nothing.
    assert.ok((await consumeState(a.deps, 'consent', state)).ok);
  });

  it('rejects a state of another flow and an expired one', async () => {
    const { deps, advance } = setup();
    const consent = await createState(deps, 'consent', bound);
    assert.deepEqual(await consumeState(deps, 'sign-in', consent), { ok: false, reason: 'wrong-flow' });
    advance(61_000);
    assert.deepEqual(await consumeState(deps, 'consent', consent), { ok: false, reason: 'expired' });
    assert.match(describeStateFailure('expired'), /has expired/);
    // The expired state's row is gone too: turning the clock back does not revive it.
    advance(-61_000);
    assert.deepEqual(await consumeState(deps, 'consent', consent), { ok: false, reason: 'already-used' });
    assert.match(describeStateFailure('already-used'), /already used/);
  });

  it('is a short, query-safe JWT naming its flow, its use and this app, with iat and exp', async () => {
    const { deps } = setup();
    const state = await createState(deps, 'sign-in', bound);
    assert.match(state, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.equal(encodeURIComponent(state), state);
    assert.ok(state.length < 300, `${state.length} characters`);
    const claims = decodeJwt(state);
    assert.equal(claims.aud, 'oauth-state');
    assert.equal(claims.iss, 'jira-teams-bridge');
    assert.equal(claims.flow, 'sign-in');
    assert.equal(Number(claims.exp) - Number(claims.iat), 60);
    assert.equal(stateFlow(state), 'sign-in');
    assert.ok(!JSON.stringify(claims).includes(bound.tenant), 'what the flow is bound to stays server-side');
  });

  it('the app\'s other signed tokens are no state, and a state is no self-link invitation or console token', async () => {
    const { deps } = setup();
    const runtime = { ...deps, log: memoryLogger() };
    // A self-link invitation (same key, `aud` self-link) presented as a state: refused before any storage read.
    const invitation = new URL(await selfLinkUrl(runtime, { tenantId: bound.tenant, siteId: 'site-1', accountId: '712020:0e3b7a52-1b2c-4d3e-8f9a-0b1c2d3e4f5a', issueKey: 'OPS-1' })).searchParams.get('invitation')!;
    assert.deepEqual(await consumeState(deps, 'self-link', invitation), { ok: false, reason: 'wrong-flow' });
    assert.equal(stateFlow(invitation), undefined, 'the callback does not route an invitation as a state');
    // A console one-time token (`aud` console) presented as a state, and a state presented to the console.
    const local = await createOneTime(deps, 'console-local', 60);
    assert.deepEqual(await consumeState(deps, 'consent', local), { ok: false, reason: 'wrong-flow' });
    const state = await createState(deps, 'self-link', bound);
    assert.deepEqual(await consumeOneTime(deps, 'console-local', state), { ok: false, reason: 'wrong-flow' });
    // A state presented as a self-link invitation: the person is told the link was altered.
    const started = await startSelfLink(runtime, state);
    assert.equal(started.ok, false);
    assert.ok(!started.ok && started.page.status === 400 && /altered/.test(started.page.paragraphs[0]!), JSON.stringify(started));
    // Claiming the other audience with the original signature is a tampering.
    assert.deepEqual(await consumeState(deps, 'self-link', withChangedClaims(invitation, (c) => (c.aud = 'oauth-state'))), { ok: false, reason: 'bad-signature' });
    // None of the refusals consumed anything: the state and the console token still work once.
    assert.ok((await consumeState(deps, 'self-link', state)).ok);
    assert.ok((await consumeOneTime(deps, 'console-local', local)).ok);
  });

  it('a state signed with the app key but without expiry or by another issuer is refused', async () => {
    const { deps } = setup();
    await createState(deps, 'consent', bound); // makes the key
    const key = new Uint8Array(Buffer.from((await deps.secrets.get(stateSigningKeySecretName))!, 'base64'));
    const noExp = await new SignJWT({ jti: 'x', flow: 'consent', aud: 'oauth-state', iss: 'jira-teams-bridge' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(key);
    assert.deepEqual(await consumeState(deps, 'consent', noExp), { ok: false, reason: 'malformed' });
    const otherIssuer = await new SignJWT({ jti: 'x', flow: 'consent', aud: 'oauth-state', iss: 'someone-else' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(key);
    assert.deepEqual(await consumeState(deps, 'consent', otherIssuer), { ok: false, reason: 'wrong-flow' });
  });

  it('two simultaneous callbacks with the same state: exactly one wins', async () => {
    const { deps } = setup();
    const state = await createState(deps, 'sign-in', { ...bound, codeVerifier: 'v'.repeat(43) });
    const results = await Promise.all([1, 2, 3, 4].map(() => consumeState(deps, 'sign-in', state)));
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'already-used'));
  });
});
