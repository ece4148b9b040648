// Service users per (tenant, feature) (DESIGN §5): who signed in, their status, last refresh, and which optional
// capabilities are degraded. The token itself is never here: the MSAL cache lives in the secret store under
// `cacheSecretName`, shared by every feature the same account serves in that tenant.
//
// Rows in the `serviceUsers` table: PK tenantId, RK feature.
import type { Feature } from '../features.js';
import { decodeKey, deleteEntity, listPartition, readEntity, replaceIfMatch, tableNames, upsertEntity, type Entity, type TableAccess } from './tables.js';

export type ServiceUserStatus = 'active' | 'needs-reauth' | 'invalid-licence';

export interface DegradedCapability {
  scope: string;
  capability: string;
}

export interface ServiceUserRecord {
  tenantId: string;
  feature: Feature;
  objectId: string;
  userPrincipalName: string;
  displayName?: string;
  /** MSAL's account key (`{oid}.{tid}`), used to find the account in the cache for silent token requests. */
  homeAccountId: string;
  /** Secret-store name of this account's serialized MSAL token cache. */
  cacheSecretName: string;
  status: ServiceUserStatus;
  /** Why the status is not `active` (an AADSTS code and a hint, never a token). */
  statusReason?: string;
  /** Delegated scopes the token endpoint actually granted (bare names such as `Chat.Create`). */
  grantedScopes: string[];
  degraded: DegradedCapability[];
  signedInAt: string;
  /** Last time a refresh token was redeemed successfully (sign-in, keep-alive, or a job's token request). */
  lastRefreshAt: string;
  lastRefreshError?: string;
  updatedAt: string;
}

export async function readServiceUser(tables: TableAccess, tenantId: string, feature: Feature): Promise<Entity<ServiceUserRecord> | undefined> {
  const t = await tables.table(tableNames.serviceUsers);
  const row = await readEntity<ServiceUserRecord>(t, tenantId, feature);
  if (row) {
    row.grantedScopes ??= [];
    row.degraded ??= [];
  }
  return row;
}

export async function listServiceUsers(tables: TableAccess, tenantId: string): Promise<Entity<ServiceUserRecord>[]> {
  const t = await tables.table(tableNames.serviceUsers);
  return (await listPartition<ServiceUserRecord>(t, tenantId)).map((r) => ({ ...r, grantedScopes: r.grantedScopes ?? [], degraded: r.degraded ?? [] }));
}

export async function writeServiceUser(tables: TableAccess, record: ServiceUserRecord): Promise<void> {
  const t = await tables.table(tableNames.serviceUsers);
  await upsertEntity(t, record.tenantId, record.feature, record);
}

/** Applies `change` with an ETag check (retried), so a keep-alive and a job updating the same row never lose a write. */
export async function patchServiceUser(
  tables: TableAccess,
  tenantId: string,
  feature: Feature,
  change: (current: ServiceUserRecord) => ServiceUserRecord | undefined,
): Promise<ServiceUserRecord | undefined> {
  const t = await tables.table(tableNames.serviceUsers);
  for (let attempt = 0; attempt < 10; attempt++) {
    const row = await readServiceUser(tables, tenantId, feature);
    if (!row) return undefined;
    const { etag, partitionKey: _pk, rowKey: _rk, ...current } = row;
    const next = change(current);
    if (!next) return current;
    if ((await replaceIfMatch(t, tenantId, feature, next, etag)).ok) return next;
  }
  throw new Error(`service user ${tenantId}/${feature} kept changing while being updated; try again`);
}

export async function deleteServiceUser(tables: TableAccess, tenantId: string, feature: Feature): Promise<boolean> {
  const t = await tables.table(tableNames.serviceUsers);
  return deleteEntity(t, tenantId, feature);
}

/** Every service user of every tenant: keep-alive and health only (a timer or admin view, never a job's path). */
export async function listAllServiceUsers(tables: TableAccess): Promise<Entity<ServiceUserRecord>[]> {
  const t = await tables.table(tableNames.serviceUsers);
  const tenants = new Set<string>();
  for await (const e of t.listEntities({ queryOptions: { select: ['PartitionKey'] } })) tenants.add(decodeKey(String(e.partitionKey)));
  const out: Entity<ServiceUserRecord>[] = [];
  for (const tenantId of tenants) out.push(...(await listServiceUsers(tables, tenantId)));
  return out;
}
