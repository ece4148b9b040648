// docs/configuration.md is the customer's reference for app settings: it must name every setting shared/config.ts
// reads (with its default), and nothing the app does not read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, settingNames } from '../../../shared/config.js';
import { repoRoot } from '../../support/repoRoot.js';

const doc = readFileSync(path.join(repoRoot(), 'docs', 'configuration.md'), 'utf8');

/** The settings table: `| `NAME`, `NAME2` | required | default | what |` rows, keyed by each name in the first cell. */
function documentedSettings(): Map<string, { required: string; fallback: string }> {
  const rows = new Map<string, { required: string; fallback: string }>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 6 || !cells[1]!.startsWith('`')) continue;
    for (const [, name] of cells[1]!.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) rows.set(name!, { required: cells[2]!, fallback: cells[3]! });
  }
  return rows;
}

describe('docs/configuration.md', () => {
  const documented = documentedSettings();

  it('documents every setting the app reads', () => {
    const missing = settingNames.filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], `not in docs/configuration.md: ${missing.join(', ')}`);
  });

  it('documents no setting the app does not read', () => {
    const extra = [...documented.keys()].filter((name) => !(settingNames as readonly string[]).includes(name));
    assert.deepEqual(extra, [], `in docs/configuration.md but not read by shared/config.ts: ${extra.join(', ')}`);
  });

  it('gives the default the app really uses where it states one', () => {
    // With no value set, the loaded config shows each default; the doc's default column must name the same value.
    const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    const defaults: Record<string, string | number> = {
      AZURE_CREDENTIAL: config.azureCredential,
      LOCAL_SECRETS_FILE: config.localSecretsFile,
      PUBLIC_BASE_URL: config.publicBaseUrl,
      GRAPH_BASE_URL: config.graphBaseUrl,
      AUTHORITY_HOST: config.authorityHost,
      CONSOLE_SESSION_MINUTES: config.console.sessionMinutes,
      JIRA_MAX_BODY_BYTES: config.jira.maxBodyBytes,
      SETTINGS_CACHE_SECONDS: config.settingsCacheSeconds,
      OAUTH_STATE_TTL_SECONDS: config.oauthStateTtlSeconds,
      TOKEN_KEEPALIVE_SCHEDULE: config.tokenKeepAliveSchedule,
      OPS_REPORT_SCHEDULE: config.opsReportSchedule,
      TOKEN_KEEPALIVE_MAX_AGE_HOURS: config.tokenKeepAliveMaxAgeHours,
      LOG_LEVEL: config.logLevel,
      GRAPH_TIMEOUT_SECONDS: config.timeouts.graphMs / 1000,
      JIRA_TIMEOUT_SECONDS: config.timeouts.jiraMs / 1000,
      KEY_VAULT_TIMEOUT_SECONDS: config.timeouts.keyVaultMs / 1000,
      ENTRA_TIMEOUT_SECONDS: config.timeouts.entraMs / 1000,
      CONSOLE_LOCAL_SIGN_IN: String(config.console.localSignIn),
    };
    for (const [name, value] of Object.entries(defaults)) {
      const row = documented.get(name);
      assert.ok(row, `${name} is documented`);
      assert.ok(row.fallback.startsWith('`' + String(value) + '`'), `${name}: the doc says ${row.fallback}, the app defaults to ${String(value)}`);
    }
  });
});
