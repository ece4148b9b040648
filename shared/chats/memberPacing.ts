// Graph allows 4 member adds per minute per chat, and the same for removals ("POST chat member ... 4 requests per
// minute per chat. DELETE chat member has the same limits", throttling-teams, ../shared/graph-contract.md §2). The
// budget is the app's, shared by every job and every instance, so it cannot live in one job's memory or on the
// chat-link row a job read a while ago: it is one Table Storage row per chat, changed only with ETag concurrency.
// A worker takes a slot (a timestamp and the user it is for) before it sends the request; when the minute's slots
// are gone it gets the time at which the oldest one frees, and the job goes back to the queue for that long.
//
// The row lives in the chatLinks table under partition `pacing|<tenant>` (site ids cannot contain `|`), keyed by
// chat id, so no new table is needed.
import type { Runtime } from '../runtime.js';
import { insertEntity, readEntity, replaceIfMatch, tableNames } from '../storage/tables.js';

export const memberChangesPerMinute = 4;
const windowMs = 60_000;
/** Concurrent writers retry on a stale ETag this often before the job simply waits a second and tries again. */
const maxAttempts = 8;

export type MemberOp = 'add' | 'remove';

export interface MemberSlot {
  at: string;
  op: MemberOp;
  /** Entra object id (lower case) the slot was taken for. */
  userId: string;
  /**
   * `pending` while the worker that took it sends the request (absent on rows written before this field existed);
   * then `done` (the change happened) or `refused` (Graph refused that person: a later sync may try again). Every
   * slot counts against the minute's budget whatever its state, as Graph counts every request.
   */
  state?: 'pending' | 'done' | 'refused';
}

interface PacingRow {
  slots: MemberSlot[];
}

export interface SlotGrant {
  /** The changes this worker may send now. */
  granted: { op: MemberOp; userId: string }[];
  /** Changes skipped because another worker is sending the same change right now (its slot is pending). */
  takenByOthers: { op: MemberOp; userId: string }[];
  /** Changes skipped because another worker made them within the minute (after this worker read the members). */
  doneByOthers: { op: MemberOp; userId: string }[];
  /** When some wanted change got no slot: seconds until the oldest slot of that kind frees. */
  retryAfterSeconds?: number;
}

type PacingDeps = Pick<Runtime, 'tables' | 'clock'>;

const partition = (tenantId: string) => `pacing|${tenantId}`;

/** Takes up to the minute's free slots for `wanted` (in order) for one chat, atomically across workers. */
export async function takeMemberSlots(deps: PacingDeps, tenantId: string, chatId: string, wanted: { op: MemberOp; userId: string }[]): Promise<SlotGrant> {
  const table = await deps.tables.table(tableNames.chatLinks);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const now = deps.clock.now().getTime();
    const row = await readEntity<PacingRow>(table, partition(tenantId), chatId);
    const recent = (row?.slots ?? []).filter((s) => now - Date.parse(s.at) < windowMs);
    const key = (w: { op: MemberOp; userId: string }) => `${w.op}|${w.userId.toLowerCase()}`;
    // Another worker is sending this very change: leave it to them and look again after the minute.
    const pending = new Set(recent.filter((s) => s.userId && (s.state ?? 'pending') === 'pending').map(key));
    // Another worker made this change moments ago (our read of the members predates it): nothing to do.
    const done = new Set(recent.filter((s) => s.userId && s.state === 'done').map(key));
    const takenByOthers = wanted.filter((w) => pending.has(key(w)));
    const doneByOthers = wanted.filter((w) => !pending.has(key(w)) && done.has(key(w)));
    const open = wanted.filter((w) => !pending.has(key(w)) && !done.has(key(w)));
    const granted: SlotGrant['granted'] = [];
    const waiting: MemberOp[] = [];
    for (const w of open) {
      const used = recent.filter((s) => s.op === w.op).length + granted.filter((g) => g.op === w.op).length;
      if (used < memberChangesPerMinute) granted.push(w);
      else waiting.push(w.op);
    }
    let retryAfterSeconds: number | undefined;
    if (waiting.length) {
      // The slots granted just now count too: they free a full minute from now.
      const oldest = Math.min(now, ...recent.filter((s) => waiting.includes(s.op)).map((s) => Date.parse(s.at)));
      retryAfterSeconds = Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    }
    if (granted.length === 0) return { granted, takenByOthers, doneByOthers, retryAfterSeconds };
    const at = new Date(now).toISOString();
    const next: PacingRow = { slots: [...recent, ...granted.map((g) => ({ at, op: g.op, userId: g.userId.toLowerCase(), state: 'pending' as const }))] };
    const written = row ? (await replaceIfMatch(table, partition(tenantId), chatId, next, row.etag)).ok : (await insertEntity(table, partition(tenantId), chatId, next)).created;
    if (written) return { granted, takenByOthers, doneByOthers, retryAfterSeconds };
    // Another worker changed the row since we read it: read again and recount.
  }
  return { granted: [], takenByOthers: [], doneByOthers: [], retryAfterSeconds: 1 };
}

/** Records how the changes this worker had slots for ended, so other workers neither wait for nor repeat them. */
export async function settleMemberSlots(
  deps: PacingDeps,
  tenantId: string,
  chatId: string,
  outcomes: { op: MemberOp; userId: string; state: 'done' | 'refused' }[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const table = await deps.tables.table(tableNames.chatLinks);
  const byKey = new Map(outcomes.map((o) => [`${o.op}|${o.userId.toLowerCase()}`, o.state]));
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const now = deps.clock.now().getTime();
    const row = await readEntity<PacingRow>(table, partition(tenantId), chatId);
    if (!row) return;
    const slots = row.slots
      .filter((s) => now - Date.parse(s.at) < windowMs)
      .map((s) => {
        const state = (s.state ?? 'pending') === 'pending' ? byKey.get(`${s.op}|${s.userId}`) : undefined;
        return state ? { ...s, state } : s;
      });
    if ((await replaceIfMatch(table, partition(tenantId), chatId, { slots }, row.etag)).ok) return;
  }
}

/**
 * Graph answered 429 although we had a slot (another app, or an add counted that we did not send): record the
 * window as full until Graph's Retry-After, so the other workers wait too instead of each earning its own 429,
 * and give back the slots this worker took but did not use (the refused change and the ones after it), so those
 * people are not mistaken for someone another worker is adding.
 */
export async function markChatThrottled(
  deps: PacingDeps,
  tenantId: string,
  chatId: string,
  op: MemberOp,
  retryAfterSeconds: number,
  unused: { op: MemberOp; userId: string }[] = [],
): Promise<void> {
  const release = new Set(unused.map((u) => `${u.op}|${u.userId.toLowerCase()}`));
  const table = await deps.tables.table(tableNames.chatLinks);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const now = deps.clock.now().getTime();
    const row = await readEntity<PacingRow>(table, partition(tenantId), chatId);
    // Slots dated so that the last of them frees exactly when Graph said to come back.
    const at = new Date(now + retryAfterSeconds * 1000 - windowMs).toISOString();
    const blocked: MemberSlot[] = Array.from({ length: memberChangesPerMinute }, () => ({ at, op, userId: '', state: 'done' }));
    const kept = (row?.slots ?? []).filter((s) => now - Date.parse(s.at) < windowMs && !release.has(`${s.op}|${s.userId}`));
    const next: PacingRow = { slots: [...kept, ...blocked] };
    const written = row ? (await replaceIfMatch(table, partition(tenantId), chatId, next, row.etag)).ok : (await insertEntity(table, partition(tenantId), chatId, next)).created;
    if (written) return;
  }
}
