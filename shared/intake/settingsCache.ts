// Short-lived in-memory cache of what the acknowledgement path needs: the site row, its secrets and project
// settings. The issue allows caching these briefly so an acknowledgement costs about one enqueue; an admin's change
// takes effect within SETTINGS_CACHE_SECONDS. Negative answers are cached too, but for at most 5 seconds, so a
// just-registered site works almost at once.
import type { Runtime } from '../runtime.js';
import type { ProjectSettings } from '../rules/projectSettings.js';
import { getProjectSettings } from '../sites/projects.js';
import { getSite, siteSecretNames, type Site } from '../sites/sites.js';

export interface SiteCredentials {
  site: Site;
  /** Current webhook secret first, then the previous one (rotation). */
  webhookSecrets: string[];
  automationToken?: string;
}

type CacheDeps = Pick<Runtime, 'tables' | 'secrets' | 'clock' | 'config'>;

export interface SettingsCache {
  /**
   * `maxAgeMs` re-reads an entry loaded longer ago than that: the intake asks for it when a signature or token does
   * not match, because another instance may have rotated the secret and cleared only its own cache.
   */
  site(siteId: string, options?: { maxAgeMs?: number }): Promise<SiteCredentials | undefined>;
  project(siteId: string, projectKey: string): Promise<ProjectSettings | undefined>;
  clear(): void;
}

export function createSettingsCache(deps: CacheDeps): SettingsCache {
  const entries = new Map<string, { expires: number; loadedAt: number; value: Promise<unknown> }>();
  const ttlMs = deps.config.settingsCacheSeconds * 1000;

  function cached<T>(key: string, load: () => Promise<T>, maxAgeMs = Infinity): Promise<T> {
    const now = deps.clock.now().getTime();
    const hit = entries.get(key);
    if (hit && hit.expires > now && now - hit.loadedAt < maxAgeMs) return hit.value as Promise<T>;
    const value = load();
    entries.set(key, { expires: now + ttlMs, loadedAt: now, value });
    value.then(
      (v) => {
        if (v === undefined) entries.set(key, { expires: now + Math.min(ttlMs, 5000), loadedAt: now, value });
      },
      () => entries.delete(key),
    );
    if (entries.size > 10_000) entries.clear();
    return value;
  }

  return {
    site: (siteId, options = {}) =>
      cached(`site:${siteId}`, async () => {
        const site = await getSite(deps, siteId);
        if (!site) return undefined;
        const generations = [site.webhookSecretGeneration, site.webhookSecretGeneration - 1].filter((g) => g > 0);
        const secrets = await Promise.all(generations.map((g) => deps.secrets.get(siteSecretNames.webhookSecret(siteId, g))));
        const automationToken =
          site.automationTokenGeneration > 0
            ? await deps.secrets.get(siteSecretNames.automationToken(siteId, site.automationTokenGeneration))
            : undefined;
        return { site, webhookSecrets: secrets.filter((s): s is string => Boolean(s)), automationToken };
      }, options.maxAgeMs),
    project: (siteId, projectKey) => cached(`project:${siteId}:${projectKey}`, () => getProjectSettings(deps, siteId, projectKey)),
    clear: () => entries.clear(),
  };
}
