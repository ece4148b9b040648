// loadConfig: one validation at start-up that names the missing or malformed setting.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, settingNames } from '../../shared/config.js';
import type { TokenCredential } from '@azure/identity';
import { createTableServiceClient } from '../../shared/storage/tables.js';
import { repoRoot } from '../support/repoRoot.js';

const fakeCredential: TokenCredential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3600_000 }) };

const local = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('loadConfig', () => {
  it('gives safe local defaults with only a storage connection', () => {
    const config = loadConfig(local);
    assert.equal(config.storage.connectionString, 'UseDevelopmentStorage=true');
    assert.equal(config.graphBaseUrl, 'https://graph.microsoft.com/v1.0');
    assert.equal(config.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(config.publicBaseUrl, 'http://localhost:7071');
    assert.equal(config.keyVaultUri, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.storage));
  });

  it('names a missing storage connection', () => {
    assert.throws(() => loadConfig({}), (e: unknown) => e instanceof ConfigError && e.setting === 'AzureWebJobsStorage');
  });

  it('names each malformed setting', () => {
    const cases: Record<string, string> = {
      GRAPH_BASE_URL: 'http://graph.example',
      AUTHORITY_HOST: 'not a url',
      KEY_VAULT_URI: 'http://vault.example',
      ENTRA_CLIENT_ID: 'not-a-guid',
      JIRA_MAX_BODY_BYTES: '-5',
      TOKEN_KEEPALIVE_SCHEDULE: '0 */6 * * *',
      LOG_LEVEL: 'verbose',
    };
    for (const [setting, value] of Object.entries(cases)) {
      assert.throws(
        () => loadConfig({ ...local, [setting]: value }),
        (e: unknown) => e instanceof ConfigError && e.setting === setting && e.message.includes(setting),
        `${setting}=${value} should be refused`,
      );
    }
  });

  it('follows the host: a non-empty AzureWebJobsStorage (the exact-match setting) wins, and the ignored __ settings are named', () => {
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      AzureWebJobsStorage__accountName: 'stbridge',
      AzureWebJobsStorage__queueServiceUri: 'https://stbridge.queue.core.windows.net',
      AZURE_CLIENT_ID: 'mi-client',
    });
    assert.equal(config.storage.connectionString, 'UseDevelopmentStorage=true');
    assert.equal(config.storage.accountName, undefined);
    assert.equal(config.storage.queueServiceUri, undefined);
    assert.deepEqual(config.storage.ignoredSettings, ['AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__queueServiceUri']);
    // A blank exact-match value is no connection string: the identity-based settings apply, as in the host.
    const identity = loadConfig({ AzureWebJobsStorage: '  ', AzureWebJobsStorage__accountName: 'stbridge', AZURE_CLIENT_ID: 'mi-client' });
    assert.equal(identity.storage.connectionString, undefined);
    assert.equal(identity.storage.managedIdentityClientId, 'mi-client');
    assert.deepEqual(identity.storage.ignoredSettings, []);
  });

  it('identity-based storage uses the per-service URIs (sovereign clouds), or builds them from the account name', () => {
    const sovereign = loadConfig({
      AzureWebJobsStorage__queueServiceUri: 'https://stbridge.queue.core.usgovcloudapi.net',
      AzureWebJobsStorage__tableServiceUri: 'https://stbridge.table.core.usgovcloudapi.net',
      AzureWebJobsStorage__clientId: 'mi-client',
    });
    assert.equal(sovereign.storage.queueServiceUri, 'https://stbridge.queue.core.usgovcloudapi.net');
    assert.equal(sovereign.storage.tableServiceUri, 'https://stbridge.table.core.usgovcloudapi.net');
    assert.equal(sovereign.storage.connectionString, undefined);
    assert.equal(createTableServiceClient(sovereign.storage, fakeCredential).url.replace(/\/+$/, ''), 'https://stbridge.table.core.usgovcloudapi.net');
    const byName = loadConfig({ AzureWebJobsStorage__accountName: 'stbridge' });
    assert.equal(byName.storage.queueServiceUri, 'https://stbridge.queue.core.windows.net');
    assert.equal(byName.storage.tableServiceUri, 'https://stbridge.table.core.windows.net');
    // Explicit URIs win over the account name, as in the host.
    const both = loadConfig({ AzureWebJobsStorage__accountName: 'stbridge', AzureWebJobsStorage__tableServiceUri: 'https://other.table.core.windows.net' });
    assert.equal(both.storage.tableServiceUri, 'https://other.table.core.windows.net');
    assert.throws(
      () => loadConfig({ AzureWebJobsStorage__queueServiceUri: 'https://stbridge.queue.core.usgovcloudapi.net' }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'AzureWebJobsStorage__tableServiceUri',
    );
  });

  it('refuses a setting that is still an unresolved Key Vault reference, naming it and never quoting it', () => {
    const reference = '@Microsoft.KeyVault(SecretUri=https://kv-secret-name.vault.azure.net/secrets/entra-client-secret/)';
    let error: unknown;
    try {
      loadConfig({ ...local, ENTRA_CLIENT_ID: '0f1e2d3c-4b5a-4697-8877-665544332211', ENTRA_CLIENT_SECRET: reference, OTHER_SETTING: ` ${reference}` });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError, 'refused');
    assert.equal(error.setting, 'ENTRA_CLIENT_SECRET');
    assert.deepEqual(error.unresolvedKeyVaultReferences, ['ENTRA_CLIENT_SECRET', 'OTHER_SETTING']);
    assert.match(error.message, /unresolved Key Vault reference/);
    assert.doesNotMatch(error.message, /kv-secret-name|SecretUri|vault\.azure\.net/);
    // A value that merely mentions a reference is not one.
    assert.doesNotThrow(() => loadConfig({ ...local, LOG_LEVEL: 'info', SOMETHING: 'see @Microsoft.KeyVault(...) docs' }));
  });

  it('refuses to run in Azure without KEY_VAULT_URI instead of writing secrets to a local file', () => {
    const markers: Record<string, string>[] = [
      { WEBSITE_INSTANCE_ID: 'a1b2' },
      { WEBSITE_SITE_NAME: 'func-bridge-abc' },
      { WEBSITE_POD_NAME: 'func-bridge-abc-pod' },
      { CONTAINER_NAME: 'func-bridge-abc', LEGION_SERVICE_HOST: '10.0.0.1' },
    ];
    for (const marker of markers) {
      assert.throws(
        () => loadConfig({ AzureWebJobsStorage__accountName: 'stbridge', ...marker }),
        (e: unknown) => e instanceof ConfigError && e.setting === 'KEY_VAULT_URI' && /running in Azure/.test(e.message),
        `${Object.keys(marker).join('+')} marks an Azure instance`,
      );
    }
    // A container runtime sets CONTAINER_NAME too (this machine does): alone it is no Azure instance.
    assert.equal(loadConfig({ ...local, CONTAINER_NAME: 'dev-box' }).runningInAzure, false);
    const inAzure = loadConfig({ AzureWebJobsStorage__accountName: 'stbridge', WEBSITE_INSTANCE_ID: 'abc', KEY_VAULT_URI: 'https://kv-bridge.vault.azure.net/' });
    assert.equal(inAzure.runningInAzure, true);
    assert.equal(loadConfig(local).runningInAzure, false);
  });

  it('gives every outbound service a deadline: defaults, overrides (fractions for tests), and an upper bound under the chat lease', () => {
    assert.deepEqual(loadConfig(local).timeouts, { graphMs: 30_000, jiraMs: 30_000, keyVaultMs: 10_000, entraMs: 15_000 });
    assert.equal(loadConfig({ ...local, GRAPH_TIMEOUT_SECONDS: '0.25' }).timeouts.graphMs, 250);
    for (const setting of ['GRAPH_TIMEOUT_SECONDS', 'JIRA_TIMEOUT_SECONDS', 'KEY_VAULT_TIMEOUT_SECONDS', 'ENTRA_TIMEOUT_SECONDS']) {
      for (const bad of ['0', '-1', '61', 'soon']) {
        assert.throws(() => loadConfig({ ...local, [setting]: bad }), (e: unknown) => e instanceof ConfigError && e.setting === setting, `${setting}=${bad}`);
      }
    }
  });

  it('local.settings.sample.json lists every setting, and every value it lists loads', () => {
    const sample = JSON.parse(readFileSync(path.join(repoRoot(), 'local.settings.sample.json'), 'utf8')).Values as Record<string, string>;
    for (const name of settingNames) {
      if (name.startsWith('AzureWebJobsStorage__')) continue; // Azure-only identity connection
      assert.ok(name in sample, `${name} missing from local.settings.sample.json`);
    }
    assert.doesNotThrow(() => loadConfig(sample));
  });
});
