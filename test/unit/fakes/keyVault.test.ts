// The fake Key Vault works with the real SecretClient: the 401 challenge, then set/get/list/delete/purge.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { DEFAULT_VAULT_TENANT_ID, FakeKeyVault } from '../../fakes/keyVault.js';

/** Records what the client asks for; never a real credential (no managed-identity probe in tests). */
class RecordingCredential implements TokenCredential {
  readonly calls: Array<{ scopes: string[]; tenantId: string | undefined }> = [];
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.calls.push({ scopes: [scopes].flat(), tenantId: options?.tenantId });
    return { token: 'fake-vault-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

describe('fake Key Vault', () => {
  const vault = new FakeKeyVault({ pageSize: 2 });
  const credential = new RecordingCredential();
  let client: SecretClient;
  let close: () => Promise<void>;

  before(async () => {
    const started = await vault.start();
    close = started.close;
    client = new SecretClient(started.vaultUrl, credential, { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
  });
  after(() => close());

  it('challenges the first request, then accepts the token and round-trips a secret', async () => {
    await client.setSecret('jira-site-1-api-token', 's3cr3t-value', { contentType: 'text/plain', tags: { site: '1' } });
    assert.equal(vault.requests[0]?.status, 401);
    assert.equal(vault.requests[0]?.hadToken, false);
    assert.deepEqual(credential.calls[0], { scopes: ['https://vault.azure.net/.default'], tenantId: DEFAULT_VAULT_TENANT_ID });
    assert.equal(vault.requests[1]?.hadToken, true);
    assert.equal(vault.requests[1]?.status, 200);

    const secret = await client.getSecret('jira-site-1-api-token');
    assert.equal(secret.value, 's3cr3t-value');
    assert.equal(secret.properties.contentType, 'text/plain');
    assert.deepEqual(secret.properties.tags, { site: '1' });
    assert.ok(secret.properties.version && secret.properties.createdOn instanceof Date);
    assert.equal(vault.secretValue('jira-site-1-api-token'), 's3cr3t-value');
    assert.ok(!JSON.stringify(vault.requests).includes('s3cr3t-value'), 'the request log never holds secret values');
  });

  it('lists every secret across pages (nextLink)', async () => {
    for (const n of [1, 2, 3, 4]) vault.setSecret(`listed-${n}`, `v${n}`);
    const names: string[] = [];
    for await (const p of client.listPropertiesOfSecrets()) names.push(p.name);
    assert.deepEqual(names.sort(), ['jira-site-1-api-token', 'listed-1', 'listed-2', 'listed-3', 'listed-4']);
    assert.ok(vault.count('GET', /^\/secrets$/) >= 3, 'five secrets at two per page take three pages');
  });

  it('soft-deletes, refuses to reuse the name until purged, then purges', async () => {
    const poller = await client.beginDeleteSecret('listed-1', { intervalInMs: 1 });
    const deleted = await poller.pollUntilDone();
    assert.equal(deleted.name, 'listed-1');
    assert.ok(deleted.recoveryId?.endsWith('/deletedsecrets/listed-1'));
    await assert.rejects(client.getSecret('listed-1'), (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'SecretNotFound');
    assert.equal((await client.getDeletedSecret('listed-1')).name, 'listed-1');
    await assert.rejects(client.setSecret('listed-1', 'again'), (e: { statusCode?: number }) => e.statusCode === 409);
    await client.purgeDeletedSecret('listed-1');
    await client.setSecret('listed-1', 'again');
    assert.equal((await client.getSecret('listed-1')).value, 'again');
  });

  it('requires api-version and answers injected failures in Key Vault error shape', async () => {
    const noVersion = await fetch(`${client.vaultUrl}/secrets/listed-2`, { headers: { authorization: 'Bearer x' } });
    assert.equal(noVersion.status, 400);
    assert.equal(((await noVersion.json()) as { error: { code: string } }).error.code, 'BadParameter');

    vault.failNext({ method: 'GET', pathPattern: /^\/secrets\/listed-2/, status: 503 });
    await assert.rejects(client.getSecret('listed-2'), (e: { statusCode?: number }) => e.statusCode === 503);
    assert.equal((await client.getSecret('listed-2')).value, 'v2');
  });
});
