// Jira sites and their secrets. The row holds references only; the Jira API token, webhook secrets and Automation
// token live in the secret store. Generated secrets are returned once, to the admin who asked, and never again.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { secretName } from '../secrets/secretStore.js';
import { readEntity, replaceIfMatch, insertEntity, tableNames, listPartition } from '../storage/tables.js';

export type SiteDeps = Pick<Runtime, 'tables' | 'secrets' | 'clock'>;

const sitePartition = 'site';

// The rule lives with the other identifiers; re-exported because the registry is where callers look for it.
export { siteIdSchema } from '../ids.js';

export const siteInputSchema = z.object({
  jiraBaseUrl: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL')
    .transform((u) => u.replace(/\/+$/, '')),
  /** The Jira service account's e-mail (Basic auth with an API token). */
  jiraEmail: z.string().email(),
  jiraApiToken: z.string().min(1).max(1000),
});
export type SiteInput = z.infer<typeof siteInputSchema>;

export interface Site {
  siteId: string;
  jiraBaseUrl: string;
  jiraEmail: string;
  /** Generation numbers of the webhook secrets: current and the one before it (accepted during rotation). */
  webhookSecretGeneration: number;
  automationTokenGeneration: number;
  createdAt: string;
  updatedAt: string;
}

/** What the admin API shows: no secret, only whether each one is set. */
export function publicSite(site: Site, publicBaseUrl: string) {
  return {
    siteId: site.siteId,
    jiraBaseUrl: site.jiraBaseUrl,
    jiraEmail: site.jiraEmail,
    jiraApiToken: 'set',
    webhookSecret: site.webhookSecretGeneration > 0 ? 'set' : 'not set',
    automationToken: site.automationTokenGeneration > 0 ? 'set' : 'not set',
    webhookUrl: `${publicBaseUrl}/api/jira/events?site=${site.siteId}`,
    automationUrlPattern: `${publicBaseUrl}/api/jira/automation/{action}?site=${site.siteId}`,
    createdAt: site.createdAt,
    updatedAt: site.updatedAt,
  };
}

export const siteSecretNames = {
  jiraApiToken: (siteId: string) => secretName('site', siteId, 'jira-token'),
  webhookSecret: (siteId: string, generation: number) => secretName('site', siteId, 'webhook', String(generation)),
  automationToken: (siteId: string, generation: number) => secretName('site', siteId, 'automation', String(generation)),
};

export async function getSite(deps: Pick<Runtime, 'tables'>, siteId: string): Promise<Site | undefined> {
  const row = await readEntity<Site>(await deps.tables.table(tableNames.sites), sitePartition, siteId);
  return row && stripKeys(row);
}

export async function listSites(deps: Pick<Runtime, 'tables'>): Promise<Site[]> {
  return (await listPartition<Site>(await deps.tables.table(tableNames.sites), sitePartition)).map(stripKeys);
}

/** Creates or updates a site; the API token goes to the secret store first so a row never points at nothing. */
export async function putSite(deps: SiteDeps, siteId: string, input: SiteInput): Promise<{ site: Site; created: boolean }> {
  await deps.secrets.set(siteSecretNames.jiraApiToken(siteId), input.jiraApiToken);
  const table = await deps.tables.table(tableNames.sites);
  const now = deps.clock.now().toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readEntity<Site>(table, sitePartition, siteId);
    if (!existing) {
      const site: Site = {
        siteId,
        jiraBaseUrl: input.jiraBaseUrl,
        jiraEmail: input.jiraEmail,
        webhookSecretGeneration: 0,
        automationTokenGeneration: 0,
        createdAt: now,
        updatedAt: now,
      };
      if ((await insertEntity(table, sitePartition, siteId, site)).created) return { site, created: true };
      continue;
    }
    const site: Site = { ...stripKeys(existing), jiraBaseUrl: input.jiraBaseUrl, jiraEmail: input.jiraEmail, updatedAt: now };
    if ((await replaceIfMatch(table, sitePartition, siteId, site, existing.etag)).ok) return { site, created: false };
  }
  throw new Error(`site ${siteId} is being changed concurrently; try again`);
}

export type SecretKind = 'webhook-secret' | 'automation-token';

/**
 * Generates a new webhook secret or Automation token. The previous webhook secret stays valid until the next
 * rotation, so deliveries signed before the admin updates Jira still verify; older generations are deleted.
 */
export async function rotateSiteSecret(
  deps: SiteDeps,
  siteId: string,
  kind: SecretKind,
): Promise<{ value: string; generation: number } | undefined> {
  const table = await deps.tables.table(tableNames.sites);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readEntity<Site>(table, sitePartition, siteId);
    if (!existing) return undefined;
    const field = kind === 'webhook-secret' ? 'webhookSecretGeneration' : 'automationTokenGeneration';
    const generation = existing[field] + 1;
    const value = randomBytes(32).toString('base64url');
    const name = kind === 'webhook-secret' ? siteSecretNames.webhookSecret : siteSecretNames.automationToken;
    await deps.secrets.set(name(siteId, generation), value);
    const site: Site = { ...stripKeys(existing), [field]: generation, updatedAt: deps.clock.now().toISOString() };
    if ((await replaceIfMatch(table, sitePartition, siteId, site, existing.etag)).ok) {
      // Webhook secrets keep one previous generation for rotation; Automation tokens are replaced outright.
      const stale = kind === 'webhook-secret' ? generation - 2 : generation - 1;
      if (stale > 0) await deps.secrets.delete(name(siteId, stale)).catch(() => undefined);
      return { value, generation };
    }
    await deps.secrets.delete(name(siteId, generation)).catch(() => undefined);
  }
  throw new Error(`site ${siteId} is being changed concurrently; try again`);
}

function stripKeys<T extends object>(row: T & { partitionKey?: string; rowKey?: string; etag?: string }): T {
  const { partitionKey: _p, rowKey: _r, etag: _e, ...rest } = row;
  return rest as T;
}
