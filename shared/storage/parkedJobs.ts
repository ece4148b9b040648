// Jobs parked while their service user needs re-authentication (DESIGN §6: parked, not poisoned). Each row holds
// the queue message exactly as it arrived, so resuming is "send it back to its queue"; jobs are idempotent, so a
// crash between the send and the delete at worst runs one job twice, harmlessly.
//
// Rows in the `parkedJobs` table: PK `{tenantId}:{feature}`, RK a time-ordered unique id.
import { randomBytes } from 'node:crypto';
import type { Feature } from '../features.js';
import { deleteEntity, insertEntity, listPartition, tableNames, type Entity, type TableAccess } from './tables.js';

export interface ParkedJob {
  tenantId: string;
  feature: Feature;
  queue: string;
  message: unknown;
  reason: string;
  parkedAt: string;
}

const pk = (tenantId: string, feature: Feature) => `${tenantId}:${feature}`;

export async function insertParkedJob(tables: TableAccess, job: ParkedJob, now: Date): Promise<string> {
  const t = await tables.table(tableNames.parkedJobs);
  // Sortable by time, unique across instances.
  const id = `${now.getTime().toString().padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
  // The message is stored as JSON in its own column (tables.ts stores objects as `<name>Json`).
  await insertEntity(t, pk(job.tenantId, job.feature), id, { ...job, message: { value: job.message } });
  return id;
}

export async function listParkedJobs(tables: TableAccess, tenantId: string, feature: Feature): Promise<Entity<ParkedJob>[]> {
  const t = await tables.table(tableNames.parkedJobs);
  const rows = await listPartition<ParkedJob & { message: { value: unknown } }>(t, pk(tenantId, feature));
  return rows.map((r) => ({ ...r, message: r.message?.value }));
}

export async function deleteParkedJob(tables: TableAccess, tenantId: string, feature: Feature, id: string, etag?: string): Promise<boolean> {
  const t = await tables.table(tableNames.parkedJobs);
  return deleteEntity(t, pk(tenantId, feature), id, etag);
}
