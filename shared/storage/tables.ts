// Table Storage access shared by every repository: clients per table, point reads, and ETag-conditional writes.
// Every hot-path read is a point read by PartitionKey + RowKey (DESIGN §5); no repository scans a table to serve a
// request.
import { TableClient, TableServiceClient, type TableEntityResult } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { StorageConfig } from '../config.js';

export const tableNames = {
  sites: 'sites',
  projects: 'projects',
  tenantConnections: 'tenantConnections',
  serviceUsers: 'serviceUsers',
  chatLinks: 'chatLinks',
  userMappings: 'userMappings',
  oauthStates: 'oauthStates',
  audit: 'audit',
  deliveries: 'deliveries',
  parkedJobs: 'parkedJobs',
  graphSubscriptions: 'graphSubscriptions',
  meetings: 'meetings',
  mailSends: 'mailSends',
  bookings: 'bookings',
  /** Mail → Jira: one message source per site + project, with its delta link. */
  mailSources: 'mailSources',
  /** Mail → Jira: one row per handled message (exactly once) and per-sender rate windows. */
  mailInMessages: 'mailInMessages',
} as const;

export type TableName = (typeof tableNames)[keyof typeof tableNames];
export const allTableNames: readonly TableName[] = Object.values(tableNames);

/** What every stored entity has besides its own columns. */
export interface StoredEntity {
  partitionKey: string;
  rowKey: string;
  etag: string;
}

export type Entity<T> = T & StoredEntity;

export interface TableAccess {
  /** The client for one table; the table is created on first use in this process. */
  table(name: TableName): Promise<TableClient>;
}

/**
 * Builds table clients from the storage settings: a connection string locally (Azurite), the managed identity in
 * Azure. Tables are created once per process on first use, so a fresh storage account (or Azurite) just works; in
 * Azure the Bicep declares them too.
 */
export function createTableAccess(storage: StorageConfig, credential?: TokenCredential): TableAccess {
  const ready = new Map<string, Promise<TableClient>>();
  // loadConfig resolves the identity-based endpoint (given, or built from the account) the way the host does.
  const endpoint = storage.tableServiceUri;

  function make(name: string): TableClient {
    if (storage.connectionString) {
      return TableClient.fromConnectionString(storage.connectionString, name, {
        allowInsecureConnection: storage.connectionString.includes('http://'),
      });
    }
    if (!endpoint || !credential) throw new Error('table storage needs a connection string or an account name and credential');
    return new TableClient(endpoint, name, credential);
  }

  return {
    table(name) {
      let p = ready.get(name);
      if (!p) {
        const client = make(name);
        // createTable treats "already exists" as success.
        p = client.createTable().then(() => client);
        p.catch(() => ready.delete(name));
        ready.set(name, p);
      }
      return p;
    },
  };
}

export function createTableServiceClient(storage: StorageConfig, credential?: TokenCredential): TableServiceClient {
  if (storage.connectionString) {
    return TableServiceClient.fromConnectionString(storage.connectionString, {
      allowInsecureConnection: storage.connectionString.includes('http://'),
    });
  }
  const endpoint = storage.tableServiceUri;
  if (!endpoint) throw new Error('table storage needs a connection string or AzureWebJobsStorage__tableServiceUri');
  if (!credential) throw new Error('table storage needs a credential for an identity-based connection');
  return new TableServiceClient(endpoint, credential);
}

/** The HTTP status of a storage error (Azurite and Azure; `code` can be undefined on single-entity errors). */
export function storageStatus(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e ? (e as { statusCode?: number }).statusCode : undefined;
}

/** Point read; `undefined` when the entity does not exist. */
export async function readEntity<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<Entity<T> | undefined> {
  try {
    const e = await table.getEntity<T>(encodeKey(partitionKey), encodeKey(rowKey));
    return fromStored<T>(e);
  } catch (e) {
    if (storageStatus(e) === 404) return undefined;
    throw e;
  }
}

/** Insert that fails softly when the row exists: the primitive behind reservations and deduplication. */
export async function insertEntity<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  value: T,
): Promise<{ created: true; etag: string } | { created: false }> {
  try {
    const r = await table.createEntity({ ...toStored(value), partitionKey: encodeKey(partitionKey), rowKey: encodeKey(rowKey) });
    return { created: true, etag: r.etag ?? '' };
  } catch (e) {
    if (storageStatus(e) === 409) return { created: false };
    throw e;
  }
}

/** Replace only if the row still has `etag`; `false` when someone else changed or deleted it first. */
export async function replaceIfMatch<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  value: T,
  etag: string,
): Promise<{ ok: true; etag: string } | { ok: false }> {
  try {
    const r = await table.updateEntity(
      { ...toStored(value), partitionKey: encodeKey(partitionKey), rowKey: encodeKey(rowKey) },
      'Replace',
      { etag },
    );
    return { ok: true, etag: r.etag ?? '' };
  } catch (e) {
    const status = storageStatus(e);
    if (status === 412 || status === 404) return { ok: false };
    throw e;
  }
}

/** Unconditional upsert, for rows with a single writer or where the last write should win. */
export async function upsertEntity<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
  value: T,
): Promise<string> {
  const r = await table.upsertEntity(
    { ...toStored(value), partitionKey: encodeKey(partitionKey), rowKey: encodeKey(rowKey) },
    'Replace',
  );
  return r.etag ?? '';
}

export async function deleteEntity(table: TableClient, partitionKey: string, rowKey: string, etag?: string): Promise<boolean> {
  try {
    await table.deleteEntity(encodeKey(partitionKey), encodeKey(rowKey), etag ? { etag } : undefined);
    return true;
  } catch (e) {
    const status = storageStatus(e);
    if (status === 404 || status === 412) return false;
    throw e;
  }
}

/** All rows of one partition (admin listings; never on a hot path). */
export async function listPartition<T extends object>(table: TableClient, partitionKey: string): Promise<Entity<T>[]> {
  const out: Entity<T>[] = [];
  try {
    const filter = `PartitionKey eq '${encodeKey(partitionKey).replace(/'/g, "''")}'`;
    for await (const e of table.listEntities<T>({ queryOptions: { filter } })) out.push(fromStored<T>(e));
  } catch (e) {
    if (storageStatus(e) === 404) return [];
    throw e;
  }
  return out;
}

// PartitionKey and RowKey may not contain / \ # ? or control characters, and Jira keys, accountIds and tenant ids
// are user-controlled strings. Percent-encode exactly those characters (and % itself) so keys stay readable.
// https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#characters-disallowed-in-key-fields
export function encodeKey(key: string): string {
  return key.replace(/[%/\\#?\u0000-\u001f\u007f-\u009f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

export function decodeKey(key: string): string {
  return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

// Table Storage holds flat primitive columns; nested values (rules, member lists) are stored as JSON in a column
// whose name ends in `Json`, and large strings must stay under 64 KiB per property.
function toStored<T extends object>(value: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || k === 'etag' || k === 'partitionKey' || k === 'rowKey' || k === 'timestamp') continue;
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) out[`${k}Json`] = JSON.stringify(v);
    else out[k] = v;
  }
  return out;
}

export function fromStored<T extends object>(e: TableEntityResult<T>): Entity<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'odata.metadata' || k === 'timestamp') continue;
    if (k.endsWith('Json') && typeof v === 'string') out[k.slice(0, -4)] = JSON.parse(v);
    else out[k] = v;
  }
  out.partitionKey = decodeKey(e.partitionKey ?? '');
  out.rowKey = decodeKey(e.rowKey ?? '');
  out.etag = e.etag;
  return out as Entity<T>;
}
