// The acknowledgement path's short-lived cache of sites, secrets and project settings (shared/intake/
// settingsCache.ts), on real Azurite tables with sites registered and rotated by shared/sites/sites.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../shared/config.js';
import { createSettingsCache } from '../../../shared/intake/settingsCache.js';
import { MemorySecretStore } from '../../../shared/secrets/secretStore.js';
import { putProjectSettings } from '../../../shared/sites/projects.js';
import { putSite, rotateSiteSecret, siteInputSchema, siteSecretNames } from '../../../shared/sites/sites.js';
import { createTableAccess } from '../../../shared/storage/tables.js';
import { storageConnectionString, uniqueName } from '../../support/storage.js';

const tenantId = '7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
// Parsed as the admin API does (which trims the trailing slash).
const siteInput = siteInputSchema.parse({ jiraBaseUrl: 'https://acme.atlassian.net/', jiraEmail: 'svc@acme.example', jiraApiToken: 'api-token' });

function setup(cacheSeconds = 30) {
  const config = loadConfig({ AzureWebJobsStorage: storageConnectionString(), SETTINGS_CACHE_SECONDS: String(cacheSeconds) });
  let now = Date.parse('2026-11-22T03:00:00Z');
  const deps = { config, tables: createTableAccess(config.storage), secrets: new MemorySecretStore(), clock: { now: () => new Date(now) } };
  return { deps, cache: createSettingsCache(deps), advance: (ms: number) => (now += ms), siteId: uniqueName('site') };
}

describe('settings cache', () => {
  it('serves a site with its current webhook secret first, then the previous one, and its automation token', async () => {
    const { deps, cache, siteId } = setup(0);
    await putSite(deps, siteId, siteInput);
    assert.deepEqual((await cache.site(siteId))?.webhookSecrets, [], 'no secret until one is generated');
    const first = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    const second = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    const token = await rotateSiteSecret(deps, siteId, 'automation-token');
    const site = await cache.site(siteId);
    assert.deepEqual(site?.webhookSecrets, [second!.value, first!.value]);
    assert.equal(site?.automationToken, token!.value);

    const third = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    assert.deepEqual((await cache.site(siteId))?.webhookSecrets, [third!.value, second!.value], 'two generations back is gone');
    assert.equal(await deps.secrets.get(siteSecretNames.webhookSecret(siteId, 1)), undefined, 'and deleted from the store');
  });

  it('keeps a site for SETTINGS_CACHE_SECONDS; clear() (what the admin API calls on a change) makes a rotation visible at once', async () => {
    const { deps, cache, advance, siteId } = setup(30);
    await putSite(deps, siteId, siteInput);
    const first = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    assert.deepEqual((await cache.site(siteId))?.webhookSecrets, [first!.value]);
    const second = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    advance(29_000);
    assert.deepEqual((await cache.site(siteId))?.webhookSecrets, [first!.value], 'still cached');
    advance(2_000);
    assert.deepEqual((await cache.site(siteId))?.webhookSecrets, [second!.value, first!.value], 'reloaded after the TTL');
    const third = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    cache.clear();
    assert.deepEqual((await cache.site(siteId))?.webhookSecrets, [third!.value, second!.value]);
  });

  it('re-reads an entry older than maxAgeMs (the intake asks when a signature does not match), not a younger one', async () => {
    const { deps, cache, advance, siteId } = setup(30);
    await putSite(deps, siteId, siteInput);
    const first = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    await cache.site(siteId);
    // Rotated through another instance: this cache was not cleared.
    const second = await rotateSiteSecret(deps, siteId, 'webhook-secret');
    advance(500);
    assert.deepEqual((await cache.site(siteId, { maxAgeMs: 1000 }))?.webhookSecrets, [first!.value], 'loaded 0.5 s ago: kept');
    advance(600);
    assert.deepEqual((await cache.site(siteId, { maxAgeMs: 1000 }))?.webhookSecrets, [second!.value, first!.value], 'loaded 1.1 s ago: re-read');
    assert.deepEqual((await cache.site(siteId))?.webhookSecrets, [second!.value, first!.value], 'and the re-read copy is what is cached now');
  });

  it('remembers an unknown site for at most 5 seconds, so a just-registered site works almost at once', async () => {
    const { deps, cache, advance, siteId } = setup(30);
    assert.equal(await cache.site(siteId), undefined);
    await putSite(deps, siteId, siteInput);
    advance(4_000);
    assert.equal(await cache.site(siteId), undefined, 'the miss is cached briefly');
    advance(1_500);
    assert.equal((await cache.site(siteId))?.site.jiraBaseUrl, 'https://acme.atlassian.net');
  });

  it('serves project settings with defaults, and unknown projects as undefined', async () => {
    const { deps, cache, siteId } = setup(0);
    await putProjectSettings(deps, siteId, 'INC', { tenantId, enabled: false });
    const settings = await cache.project(siteId, 'INC');
    assert.equal(settings?.enabled, false);
    assert.equal(settings?.topicTemplate, '[{key}] {summary}');
    assert.equal(await cache.project(siteId, 'OPS'), undefined);
  });

  it('does not cache a failed load: the next request tries again', async () => {
    const { deps, siteId } = setup(30);
    await putSite(deps, siteId, siteInput);
    await rotateSiteSecret(deps, siteId, 'webhook-secret');
    let failing = true;
    const flaky = {
      ...deps,
      secrets: Object.assign(Object.create(deps.secrets), {
        get: async (name: string) => {
          if (failing) throw Object.assign(new Error('Key Vault unavailable'), { statusCode: 503 });
          return deps.secrets.get(name);
        },
      }),
    };
    const cache = createSettingsCache(flaky);
    await assert.rejects(cache.site(siteId), /Key Vault unavailable/);
    failing = false;
    await new Promise((r) => setImmediate(r));
    assert.equal((await cache.site(siteId))?.webhookSecrets.length, 1);
  });
});
