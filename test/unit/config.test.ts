// loadConfig: one validation at start-up that names the missing or malformed setting.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, settingNames } from '../../shared/config.js';
import { repoRoot } from '../support/repoRoot.js';

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

  it('prefers the identity-based connection in Azure and never keeps a connection string beside it', () => {
    const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', AzureWebJobsStorage__accountName: 'stbridge', AZURE_CLIENT_ID: 'mi-client' });
    assert.equal(config.storage.connectionString, undefined);
    assert.equal(config.storage.accountName, 'stbridge');
    assert.equal(config.storage.managedIdentityClientId, 'mi-client');
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
