// Every job writes one audit entry per run: what it was asked, what it did, and the Graph request ids a Microsoft
// support case needs. PartitionKey = site|issue so an issue's history is one partition read; RowKey sorts newest
// first.
import type { Runtime } from '../runtime.js';
import { listPartition, tableNames, upsertEntity } from '../storage/tables.js';

export type AuditOutcome = 'done' | 'ignored' | 'deferred' | 'parked' | 'failed' | 'error' | 'rejected';

export interface AuditEntry {
  siteId: string;
  issueKey: string;
  jobId: string;
  action: string;
  outcome: AuditOutcome;
  detail?: string;
  graphRequestIds?: string[];
  dequeueCount?: number;
  at: string;
}

export async function writeAudit(deps: Pick<Runtime, 'tables' | 'clock'>, entry: Omit<AuditEntry, 'at'>): Promise<void> {
  const now = deps.clock.now();
  const rowKey = `${String(8_640_000_000_000_000 - now.getTime()).padStart(16, '0')}-${entry.jobId}-${entry.outcome}`;
  await upsertEntity(await deps.tables.table(tableNames.audit), auditPartition(entry.siteId, entry.issueKey), rowKey, {
    ...entry,
    at: now.toISOString(),
  });
}

export async function listAudit(deps: Pick<Runtime, 'tables'>, siteId: string, issueKey: string): Promise<AuditEntry[]> {
  const rows = await listPartition<AuditEntry>(await deps.tables.table(tableNames.audit), auditPartition(siteId, issueKey));
  return rows.map(({ partitionKey: _p, rowKey: _r, etag: _e, ...entry }) => entry);
}

function auditPartition(siteId: string, issueKey: string) {
  return `${siteId}|${issueKey}`;
}
