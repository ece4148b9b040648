// Tenant ⇄ site connections and what each Microsoft tenant consented to (DESIGN §5: readable both ways, point reads).
//
// Rows in the `tenantConnections` table:
//   PK `tenant`            RK tenantId  → the tenant record: consented features, app-only choice per feature
//   PK `site:{siteId}`     RK tenantId  → "site uses tenant"   (site → tenants)
//   PK `tenant:{tenantId}` RK siteId    → "tenant serves site" (tenant → sites)
// Admin consent is tenant-wide in Entra, so consent lives on the tenant record; the links only say which Jira sites
// may use it. One site may link many tenants and one tenant many sites.
import type { Feature } from '../features.js';
import {
  deleteEntity,
  insertEntity,
  listPartition,
  readEntity,
  replaceIfMatch,
  tableNames,
  upsertEntity,
  type Entity,
  type TableAccess,
} from './tables.js';

export type FeatureMode = 'delegated' | 'app';

export interface TenantRecord {
  tenantId: string;
  /** Features whose delegated scopes an admin of this tenant consented to, with when. */
  consentedFeatures: Partial<Record<Feature, string>>;
  /** When an admin consented to the app's application permissions (`/.default`), needed for app-only mode. */
  appConsentedAt?: string;
  /** Per feature: use the service user (default) or client-credentials tokens where Graph allows app-only. */
  modes: Partial<Record<Feature, FeatureMode>>;
  updatedAt: string;
}

export interface SiteTenantLink {
  siteId: string;
  tenantId: string;
  connectedAt: string;
}

const TENANT_PK = 'tenant';
const sitePk = (siteId: string) => `site:${siteId}`;
const tenantPk = (tenantId: string) => `tenant:${tenantId}`;

export async function readTenant(tables: TableAccess, tenantId: string): Promise<Entity<TenantRecord> | undefined> {
  const t = await tables.table(tableNames.tenantConnections);
  const row = await readEntity<TenantRecord>(t, TENANT_PK, tenantId);
  if (row) {
    row.consentedFeatures ??= {};
    row.modes ??= {};
  }
  return row;
}

export async function listTenants(tables: TableAccess): Promise<Entity<TenantRecord>[]> {
  const t = await tables.table(tableNames.tenantConnections);
  return (await listPartition<TenantRecord>(t, TENANT_PK)).map((r) => ({ ...r, consentedFeatures: r.consentedFeatures ?? {}, modes: r.modes ?? {} }));
}

/**
 * Read-modify-write of the tenant record with an ETag check, retried on a concurrent change, so two consent
 * callbacks for different features of the same tenant both end up recorded.
 */
export async function updateTenant(
  tables: TableAccess,
  tenantId: string,
  change: (current: TenantRecord) => TenantRecord,
  now: Date,
): Promise<TenantRecord> {
  const t = await tables.table(tableNames.tenantConnections);
  for (let attempt = 0; attempt < 10; attempt++) {
    const existing = await readTenant(tables, tenantId);
    const base: TenantRecord = existing
      ? { tenantId, consentedFeatures: existing.consentedFeatures, appConsentedAt: existing.appConsentedAt, modes: existing.modes, updatedAt: existing.updatedAt }
      : { tenantId, consentedFeatures: {}, modes: {}, updatedAt: now.toISOString() };
    const next = { ...change(base), tenantId, updatedAt: now.toISOString() };
    if (existing) {
      if ((await replaceIfMatch(t, TENANT_PK, tenantId, next, existing.etag)).ok) return next;
    } else if ((await insertEntity(t, TENANT_PK, tenantId, next)).created) {
      return next;
    }
  }
  throw new Error(`tenant record ${tenantId} kept changing while being updated; try again`);
}

export async function deleteTenant(tables: TableAccess, tenantId: string): Promise<void> {
  const t = await tables.table(tableNames.tenantConnections);
  await deleteEntity(t, TENANT_PK, tenantId);
}

/** Links a site and a tenant (both directions); idempotent. */
export async function linkSiteTenant(tables: TableAccess, siteId: string, tenantId: string, now: Date): Promise<void> {
  const t = await tables.table(tableNames.tenantConnections);
  const link: SiteTenantLink = { siteId, tenantId, connectedAt: now.toISOString() };
  // Keep the first connection time when the link exists already (a second consent for another feature).
  const existing = await readEntity<SiteTenantLink>(t, sitePk(siteId), tenantId);
  if (existing) link.connectedAt = existing.connectedAt;
  await upsertEntity(t, sitePk(siteId), tenantId, link);
  await upsertEntity(t, tenantPk(tenantId), siteId, link);
}

/** Removes the link both ways; true when it existed. */
export async function unlinkSiteTenant(tables: TableAccess, siteId: string, tenantId: string): Promise<boolean> {
  const t = await tables.table(tableNames.tenantConnections);
  const a = await deleteEntity(t, sitePk(siteId), tenantId);
  const b = await deleteEntity(t, tenantPk(tenantId), siteId);
  return a || b;
}

export async function readSiteTenantLink(tables: TableAccess, siteId: string, tenantId: string): Promise<SiteTenantLink | undefined> {
  const t = await tables.table(tableNames.tenantConnections);
  return readEntity<SiteTenantLink>(t, sitePk(siteId), tenantId);
}

/** The tenants a Jira site is connected to (one partition read). */
export async function listTenantsForSite(deps: { tables: TableAccess }, siteId: string): Promise<string[]> {
  const t = await deps.tables.table(tableNames.tenantConnections);
  return (await listPartition<SiteTenantLink>(t, sitePk(siteId))).map((r) => r.rowKey);
}

/** The Jira sites a tenant serves (one partition read). */
export async function listSitesForTenant(deps: { tables: TableAccess }, tenantId: string): Promise<string[]> {
  const t = await deps.tables.table(tableNames.tenantConnections);
  return (await listPartition<SiteTenantLink>(t, tenantPk(tenantId))).map((r) => r.rowKey);
}
