// Retention of mail → Jira's bookkeeping rows in `mailInMessages`, which otherwise grow with every mail:
//   - the per-message claims (PK `{site}:{project}`, RK hash of the internetMessageId; ../mail/once.ts) are
//     deleted `claimDays` after they were claimed;
//   - the per-sender hourly rate windows (PK `rate:{site}:{project}`, RK `{sender hash}:{YYYY-MM-DDTHH}`) are
//     deleted `rateWindowHours` after their hour began: the limit only ever reads the current hour.
// Run by the mail-in timer (functions/mailInCatchUp.ts), at most `maxDeletes` rows per run in per-partition batches,
// so one run stays short and a backlog (a first run on an old table) drains over a few runs.
//
// Why a deleted claim never lets a message be handled twice: the catch-up refuses any message received more than
// `acceptDays` ago (receivedTooLongAgo, before a claim is even looked up). A message the catch-up accepts was
// received at most `acceptDays` ago, so it was claimed (if ever) after that, and its claim is younger than
// `claimDays`: still there. A message still in the folder whose claim went is older than that, and is only listed
// again when the delta starts afresh (the delta token expired or the folder's sync state was reset: the first pass
// lists every message received since the source was added) or when Exchange reports it changed (someone marked it
// unread); either way it is turned away as too old and audited, never re-ingested. The day between the two
// windows covers clock skew between Exchange's receivedDateTime and this app's clock.
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { tableNames } from '../storage/tables.js';
import type { WorkflowDeps } from '../jobs/deps.js';

export const mailInRetention = {
  /** Claims are kept this long: longer than mail is accepted (acceptDays), so no accepted mail lost its claim. */
  claimDays: 30,
  /** Mail received longer ago than this is not turned into Jira work (its claim may have been deleted). */
  acceptDays: 29,
  /** Rate windows are kept this long after their hour began (the limit reads only the current hour). */
  rateWindowHours: 48,
  /** Deletes per run. */
  maxDeletes: 1000,
} as const;

const DAY = 24 * 3600 * 1000;

/** True when a message was received before the window the catch-up accepts (see the file comment). */
export function receivedTooLongAgo(receivedDateTime: string | undefined, now: Date): boolean {
  const received = receivedDateTime ? Date.parse(receivedDateTime) : NaN;
  return Number.isFinite(received) && received < now.getTime() - mailInRetention.acceptDays * DAY;
}

export interface PruneResult {
  claims: number;
  rateWindows: number;
  /** More rows were due than one run deletes: the next run continues. */
  more: boolean;
}

export async function pruneMailInRecords(deps: Pick<WorkflowDeps, 'tables' | 'clock' | 'log'>, options: { maxDeletes?: number } = {}): Promise<PruneResult> {
  const table = await deps.tables.table(tableNames.mailInMessages);
  const now = deps.clock.now().getTime();
  let budget = options.maxDeletes ?? mailInRetention.maxDeletes;
  const result: PruneResult = { claims: 0, rateWindows: 0, more: false };

  // Claims: `claimedAt` is an ISO-8601 UTC string, so string order is time order. Rate rows have no claimedAt and
  // never match.
  const claimCutoff = new Date(now - mailInRetention.claimDays * DAY).toISOString();
  const claims = await collect(table, odata`claimedAt lt ${claimCutoff}`, () => true, budget);
  result.claims = await deleteRows(table, claims.rows);
  budget -= result.claims;
  result.more ||= claims.more;

  // Rate windows: the partitions `rate:…` (a key range: ';' follows ':'), the hour read from the row key.
  const rateCutoff = now - mailInRetention.rateWindowHours * 3600 * 1000;
  const rates = await collect(
    table,
    odata`PartitionKey ge ${'rate:'} and PartitionKey lt ${'rate;'}`,
    (rowKey) => {
      const hour = /:(\d{4}-\d{2}-\d{2}T\d{2})$/.exec(rowKey)?.[1];
      return !!hour && Date.parse(`${hour}:00:00Z`) < rateCutoff;
    },
    budget,
  );
  result.rateWindows = await deleteRows(table, rates.rows);
  result.more ||= rates.more;

  if (result.claims || result.rateWindows) deps.log.info('mail-in.retention', { ...result, claimDays: mailInRetention.claimDays, rateWindowHours: mailInRetention.rateWindowHours });
  return result;
}

type Key = { partitionKey: string; rowKey: string };

/** Keys (as stored) of matching rows, up to `limit`; `more` when there were more. */
async function collect(table: TableClient, filter: string, keep: (rowKey: string) => boolean, limit: number): Promise<{ rows: Key[]; more: boolean }> {
  const rows: Key[] = [];
  if (limit <= 0) return { rows, more: true };
  try {
    for await (const e of table.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      if (!keep(e.rowKey!)) continue;
      if (rows.length >= limit) return { rows, more: true };
      rows.push({ partitionKey: e.partitionKey!, rowKey: e.rowKey! });
    }
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return { rows, more: false }; // no table yet
    throw e;
  }
  return { rows, more: false };
}

/**
 * Deletes in entity-group transactions (one partition, at most 100 operations: Table service "Performing entity
 * group transactions"). A transaction fails whole when one row is already gone (another run, or a re-claim that
 * replaced it is fine to delete too); then its rows are deleted one by one, a 404 counting as done.
 */
async function deleteRows(table: TableClient, rows: Key[]): Promise<number> {
  const byPartition = new Map<string, Key[]>();
  for (const r of rows) byPartition.set(r.partitionKey, [...(byPartition.get(r.partitionKey) ?? []), r]);
  let deleted = 0;
  for (const keys of byPartition.values()) {
    for (let i = 0; i < keys.length; i += 100) {
      const chunk = keys.slice(i, i + 100);
      try {
        await table.submitTransaction(chunk.map((k): TransactionAction => ['delete', k]));
        deleted += chunk.length;
      } catch {
        for (const k of chunk) {
          try {
            await table.deleteEntity(k.partitionKey, k.rowKey);
            deleted++;
          } catch (e) {
            if ((e as { statusCode?: number }).statusCode !== 404) throw e;
          }
        }
      }
    }
  }
  return deleted;
}
