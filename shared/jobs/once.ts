// "At most once" for side effects Graph and Jira cannot deduplicate for us: sendMail (202, no message id, no
// idempotency key: graph-contract §9), chat messages and Jira comments. Before the effect, a row is reserved with a
// conditional insert; after it, the row records the result. Queue messages arrive at least once, so a retried or
// duplicated job finds the row and does not repeat the effect.
//
// The crash window (the effect happened, the record did not) is resolved on the side of NOT repeating: a claim
// older than its lease, or a failure whose outcome we cannot know (connection lost, 500/502/504 after a POST), is
// marked `unknown` and never retried. A stakeholder who misses one mail is told by the chat and the Jira comment;
// a stakeholder list mailed twice, or a customer told twice, is the worse failure. Failures Graph or Jira answered
// definitely (4xx, 429, 503 "not processed") release the claim so a retry can do the work.
//
// Used by the mail (mailSends, keyed by job id), meetings and bookings workflows and by mail-in; it is part of the
// job runtime (below the features) because any job's side effect may need it.
import type { TableClient } from '@azure/data-tables';
import { PermanentError, ThrottledError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import type { Clock } from '../runtime.js';
import { deleteEntity, insertEntity, readEntity, replaceIfMatch } from '../storage/tables.js';

export type OnceState = 'claimed' | 'done' | 'unknown';

export interface OnceRow {
  state: OnceState;
  claimedAt: string;
  /** Job id of the worker that claimed it. */
  owner: string;
  doneAt?: string;
  /** What the effect returned (e.g. a chat message id), for the record. */
  result?: unknown;
  /** Why the outcome is unknown. */
  note?: string;
}

export type OnceOutcome<T> =
  | { status: 'ran'; value: T }
  | { status: 'done-before'; value: T | undefined; doneAt?: string }
  | { status: 'unknown'; note: string };

export interface OnceOptions {
  clock: Clock;
  owner: string;
  /** What the effect is, for messages ("the stakeholder mail"). */
  what: string;
  /** How long a claim protects a worker that is still running (default 120 s). */
  leaseSeconds?: number;
}

/** Graph or Jira told us the request was not carried out (or refused it): safe to try again later. */
export function outcomeIsKnown(e: unknown): boolean {
  if (e instanceof GraphRequestError) return e.status >= 400 && e.status < 500;
  if (e instanceof ThrottledError) {
    // 429 and 503 mean "not processed"; a 504 gateway timeout may have reached the service.
    return e.status === undefined || e.status === 429 || e.status === 503;
  }
  return e instanceof PermanentError;
}

export async function once<T>(table: TableClient, partitionKey: string, rowKey: string, options: OnceOptions, run: () => Promise<T>): Promise<OnceOutcome<T>> {
  const lease = options.leaseSeconds ?? 120;
  const now = options.clock.now();
  const claim: OnceRow = { state: 'claimed', claimedAt: now.toISOString(), owner: options.owner };
  let etag: string | undefined;
  for (let attempt = 0; attempt < 3 && etag === undefined; attempt++) {
    const inserted = await insertEntity(table, partitionKey, rowKey, claim);
    if (inserted.created) {
      etag = inserted.etag;
      break;
    }
    const row = await readEntity<OnceRow>(table, partitionKey, rowKey);
    if (!row) continue; // released between our insert and read: claim again
    if (row.state === 'done') return { status: 'done-before', value: row.result as T | undefined, doneAt: row.doneAt };
    if (row.state === 'unknown') return { status: 'unknown', note: row.note ?? 'the outcome of an earlier attempt is unknown' };
    const ageSeconds = (now.getTime() - Date.parse(row.claimedAt)) / 1000;
    if (ageSeconds < lease) {
      throw new ThrottledError(`${options.what} is being done by job ${row.owner}; checking again later`, Math.max(5, Math.ceil(lease - ageSeconds)));
    }
    const note = `job ${row.owner} claimed ${options.what} at ${row.claimedAt} and stopped before recording the outcome; not repeated, to avoid a duplicate`;
    await replaceIfMatch(table, partitionKey, rowKey, { ...stripKeys(row), state: 'unknown', note } satisfies OnceRow, row.etag);
    return { status: 'unknown', note };
  }
  if (etag === undefined) throw new Error(`could not claim ${options.what}: the reservation row kept changing`);

  let value: T;
  try {
    value = await run();
  } catch (e) {
    if (outcomeIsKnown(e)) {
      await deleteEntity(table, partitionKey, rowKey, etag);
    } else {
      const reason = e instanceof Error ? e.message : String(e);
      const note = `the attempt by job ${options.owner} failed with an unknown outcome (${reason.slice(0, 300)}); not repeated, to avoid a duplicate`;
      await replaceIfMatch(table, partitionKey, rowKey, { ...claim, state: 'unknown', note } satisfies OnceRow, etag);
    }
    throw e;
  }
  const done: OnceRow = { ...claim, state: 'done', doneAt: options.clock.now().toISOString(), result: value === undefined ? undefined : value };
  await replaceIfMatch(table, partitionKey, rowKey, done, etag);
  return { status: 'ran', value };
}

function stripKeys<R extends { partitionKey?: string; rowKey?: string; etag?: string }>(row: R): Omit<R, 'partitionKey' | 'rowKey' | 'etag'> {
  const { partitionKey: _p, rowKey: _r, etag: _e, ...rest } = row;
  return rest;
}
