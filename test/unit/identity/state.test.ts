// OAuth state: signed, bound to its flow, expiring and single-use (shared/identity/state.ts), on real Azurite.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../shared/config.js';
import { consumeState, createState, resetStateKeyCache, stateSigningKeySecretName } from '../../../shared/identity/state.js';
import { MemorySecretStore } from '../../../shared/secrets/secretStore.js';
import { createTableAccess } from '../../../shared/storage/tables.js';
import { storageConnectionString } from '../../support/storage.js';

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
    const [v, nonce, exp, kind, mac] = state.split('.');
    assert.deepEqual(await consumeState(a.deps, 'consent', [v, nonce, String(Number(exp) + 3600), kind, mac].join('.')), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(await consumeState(a.deps, 'consent', 'v1.x.y'), { ok: false, reason: 'malformed' });
    assert.deepEqual(await consumeState(a.deps, 'consent', null), { ok: false, reason: 'missing' });
    // The untouched state still works: rejections consumed nothing.
    assert.ok((await consumeState(a.deps, 'consent', state)).ok);
  });

  it('rejects a state of another flow and an expired one', async () => {
    const { deps, advance } = setup();
    const consent = await createState(deps, 'consent', bound);
    assert.deepEqual(await consumeState(deps, 'sign-in', consent), { ok: false, reason: 'wrong-flow' });
    advance(61_000);
    assert.deepEqual(await consumeState(deps, 'consent', consent), { ok: false, reason: 'expired' });
  });

  it('two simultaneous callbacks with the same state: exactly one wins', async () => {
    const { deps } = setup();
    const state = await createState(deps, 'sign-in', { ...bound, codeVerifier: 'v'.repeat(43) });
    const results = await Promise.all([1, 2, 3, 4].map(() => consumeState(deps, 'sign-in', state)));
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'already-used'));
  });
});
