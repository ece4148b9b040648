// The whole app under the local host with a setting the platform could not resolve (a Key Vault reference left as
// its literal text, as Azure does): the app still loads (no function module builds its runtime at import), logs
// the refusal at start-up, and /api/health answers 503 naming the setting, never its value.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../dev/testing.js';

describe('a configuration the app refuses', () => {
  let app: RunningApp;
  const reference = '@Microsoft.KeyVault(SecretUri=https://kv-hidden.vault.azure.net/secrets/entra-client-secret/)';
  before(async () => {
    app = await startApp({ env: { ENTRA_CLIENT_ID: '0f1e2d3c-4b5a-4697-8877-665544332211', ENTRA_CLIENT_SECRET: reference } });
  });
  after(() => app?.stop());

  it('still loads every function, logs config.refused at start-up, and /api/health names the unresolved setting', async () => {
    assert.ok(app.functions.some((f) => f.name === 'chatJobs'), 'queue functions registered');
    assert.ok(app.functions.some((f) => f.name === 'health'), 'health registered');
    const res = await fetch(`${app.baseUrl}/api/health`);
    const text = await res.text();
    assert.equal(res.status, 503);
    const body = JSON.parse(text) as { status: string; configuration: { ok: boolean; unresolvedKeyVaultReferences: string[] } };
    assert.equal(body.status, 'misconfigured');
    assert.deepEqual(body.configuration.unresolvedKeyVaultReferences, ['ENTRA_CLIENT_SECRET']);
    assert.doesNotMatch(text, /kv-hidden|SecretUri/);
    assert.ok(app.logs.some((l) => l.includes('"event":"config.refused"') && l.includes('ENTRA_CLIENT_SECRET')), 'the refusal is logged');
    assert.ok(!app.logs.some((l) => l.includes('kv-hidden')), 'the reference itself is never logged');
  });
});
