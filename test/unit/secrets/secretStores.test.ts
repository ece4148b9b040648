// The secret store's two real implementations behave the same: Key Vault (through @azure/keyvault-secrets against
// a fake vault over HTTPS, challenge flow included, purge protection on as deployed) and the local file store.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TokenCredential } from '@azure/identity';
import { KeyVaultSecretStore } from '../../../shared/secrets/keyVaultSecretStore.js';
import { LocalFileSecretStore } from '../../../shared/secrets/localFileSecretStore.js';
import { secretName, type SecretStore } from '../../../shared/secrets/secretStore.js';
import { FakeKeyVault } from '../../fakes/keyVault.js';

// A fixed token; never a managed-identity or default credential in tests.
const credential: TokenCredential = { getToken: async () => ({ token: 'vault-token', expiresOnTimestamp: Date.now() + 3600_000 }) };

function contract(name: string, make: () => Promise<SecretStore>) {
  describe(name, () => {
    let store: SecretStore;
    before(async () => {
      store = await make();
    });

    it('stores, reads, lists by prefix and deletes', async () => {
      assert.equal(await store.get('site--a-missing'), undefined);
      await store.set('site--a-token', 'one');
      await store.set('site--a-webhook', 'two');
      await store.set('other--x', 'three');
      assert.equal(await store.get('site--a-token'), 'one');
      assert.deepEqual((await store.list('site--a-')).sort(), ['site--a-token', 'site--a-webhook']);
      await store.set('site--a-token', 'one-rotated');
      assert.equal(await store.get('site--a-token'), 'one-rotated');
      await store.delete('site--a-token');
      assert.equal(await store.get('site--a-token'), undefined);
      assert.deepEqual(await store.list('site--a-'), ['site--a-webhook']);
      await store.delete('site--a-never-existed');
    });

    it('a deleted name can be written again', async () => {
      await store.set('reused-name', 'first');
      await store.delete('reused-name');
      await store.set('reused-name', 'second');
      assert.equal(await store.get('reused-name'), 'second');
    });
  });
}

describe('secret stores', () => {
  const vault = new FakeKeyVault({ purgeProtection: true });
  let vaultUrl = '';
  before(async () => {
    vaultUrl = (await vault.start()).vaultUrl;
  });
  after(() => vault.close());

  contract('KeyVaultSecretStore', async () => new KeyVaultSecretStore(vaultUrl, credential, { disableChallengeResourceVerification: true }));
  contract('LocalFileSecretStore', async () => new LocalFileSecretStore(path.join(await mkdtemp(path.join(tmpdir(), 'secrets-')), 'nested', 'secrets.json')));

  it('Key Vault saw the 401 challenge first, then only authenticated requests', () => {
    assert.equal(vault.requests[0]?.status, 401);
    assert.ok(vault.requests.slice(1).every((r) => r.hadToken));
  });

  it('the local file is private to its owner', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'secrets-')), 'secrets.json');
    await new LocalFileSecretStore(file).set('k', 'v');
    assert.equal((await stat(file)).mode & 0o077, 0, 'no group or other access');
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { k: 'v' });
  });

  it('derived secret names are valid Key Vault names and distinct for distinct inputs', () => {
    const a = secretName('site', 'acme', 'webhook', '1');
    const b = secretName('site', 'acme-webhook', '1');
    const odd = secretName('tenant', '🙂 weird/../id', 'x'.repeat(300));
    for (const n of [a, b, odd]) assert.match(n, /^[0-9a-zA-Z-]{1,127}$/);
    assert.notEqual(a, b);
  });
});
