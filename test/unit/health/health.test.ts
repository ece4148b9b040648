// /api/health when the app refused its configuration: it answers without building anything, names the setting
// and every unresolved Key Vault reference, and never shows a value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../shared/config.js';
import { healthOrConfigurationReport } from '../../../shared/health/health.js';
import type { Runtime } from '../../../shared/runtime.js';

describe('health and a refused configuration', () => {
  it('names the unresolved Key Vault references by setting, never by value, and reports misconfigured', async () => {
    const reference = '@Microsoft.KeyVault(SecretUri=https://kv-hidden.vault.azure.net/secrets/entra-client-secret/)';
    const env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ENTRA_CLIENT_SECRET: reference, JIRA_FALLBACK: reference };
    const report = await healthOrConfigurationReport(() => {
      loadConfig(env);
      throw new Error('unreachable: loadConfig refuses this environment');
    }, 'public', () => new Date('2026-12-04T12:00:00Z'));
    assert.equal(report.status, 'misconfigured');
    assert.equal(report.checkedAt, '2026-12-04T12:00:00.000Z');
    assert.ok('configuration' in report && report.configuration.ok === false);
    assert.deepEqual((report.configuration as { unresolvedKeyVaultReferences: string[] }).unresolvedKeyVaultReferences, ['ENTRA_CLIENT_SECRET', 'JIRA_FALLBACK']);
    const body = JSON.stringify(report);
    assert.doesNotMatch(body, /kv-hidden|SecretUri|@Microsoft\.KeyVault\(Secret/);
  });

  it('names the setting of any other refusal (KEY_VAULT_URI missing in Azure)', async () => {
    const report = await healthOrConfigurationReport(() => {
      loadConfig({ AzureWebJobsStorage__accountName: 'stbridge', WEBSITE_INSTANCE_ID: 'abc' });
      return undefined as unknown as Runtime;
    }, 'detailed');
    assert.equal(report.status, 'misconfigured');
    assert.equal((report.configuration as { setting: string }).setting, 'KEY_VAULT_URI');
  });

  it('lets anything that is not a configuration refusal propagate (it is a real failure, answered 500 by the edge)', async () => {
    await assert.rejects(
      healthOrConfigurationReport(() => {
        throw new TypeError('boom');
      }, 'public'),
      TypeError,
    );
    assert.ok(new ConfigError('X', 'y') instanceof Error);
  });
});
