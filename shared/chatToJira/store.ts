// Chat → Jira state in the `graphSubscriptions` table. Three kinds of rows:
//
// - per chat, PK `chat|<site>` RK `<issue id>|<kind>` (the chat link's key): the chat's subscription and its state,
//   shown by the admin API. The subscription id changes when it is recreated; this row does not.
// - per subscription, PK `sub` RK `<subscription id>`: what a notification names, so the notification endpoint
//   finds the chat and the clientState secret with one point read (shared with mail-folder subscriptions, so it
//   lives in ../subscriptions/upkeep.ts and is re-exported here).
// - per processed message, PK `msg|<chat id>` RK `<message id>`: the "processed once" guard (a delivered-twice
//   notification, a back-fill overlapping live notifications, a retried job), and refusal pacing rows
//   PK `refusal|<chat id>` RK `<author id>`.
//
// The clientState itself is a secret (DESIGN §5: Graph notification clientState secrets live in Key Vault); rows
// only name it.
import type { TableClient } from '@azure/data-tables';
import type { Runtime } from '../runtime.js';
import type { ChatKind } from '../actions.js';
import type { ChatRef } from '../subscriptions/upkeep.js';
import { deleteEntity, encodeKey, fromStored, insertEntity, readEntity, replaceIfMatch, storageStatus, tableNames, upsertEntity, type Entity } from '../storage/tables.js';

export type SubscriptionState = 'pending' | 'active' | 'failed' | 'deleted';

export interface ChatSubscriptionRow extends ChatRef {
  state: SubscriptionState;
  subscriptionId?: string;
  /** Secret-store name of this subscription's clientState. */
  clientStateSecret?: string;
  expiresAt?: string;
  /** Highest message id handled (ids are creation times in ms): where a back-fill starts. */
  lastSeenMessageId?: string;
  lastEvent?: string;
  lastEventAt?: string;
  /** Why the state is `failed` (never a token). */
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}

export {
  deleteSubscriptionIndex,
  readSubscriptionIndex,
  writeSubscriptionIndex,
  type ChatSubscriptionIndexRow,
  type MailSubscriptionIndexRow,
  type SubscriptionIndexRow,
} from '../subscriptions/upkeep.js';

type Deps = Pick<Runtime, 'tables'>;

const chatPk = (siteId: string) => `chat|${siteId}`;
const chatRk = (issueId: string, kind: ChatKind) => `${issueId}|${kind}`;

async function table(deps: Deps): Promise<TableClient> {
  return deps.tables.table(tableNames.graphSubscriptions);
}

export async function readChatSubscription(deps: Deps, siteId: string, issueId: string, kind: ChatKind): Promise<Entity<ChatSubscriptionRow> | undefined> {
  return readEntity<ChatSubscriptionRow>(await table(deps), chatPk(siteId), chatRk(issueId, kind));
}

export async function writeChatSubscription(deps: Deps, row: ChatSubscriptionRow): Promise<void> {
  await upsertEntity(await table(deps), chatPk(row.siteId), chatRk(row.issueId, row.kind), row);
}

/** Applies `change` with an ETag check, retried: the timer, lifecycle events and message jobs share this row. */
export async function patchChatSubscription(
  deps: Deps,
  key: { siteId: string; issueId: string; kind: ChatKind },
  change: (current: ChatSubscriptionRow) => Partial<ChatSubscriptionRow> | undefined,
): Promise<ChatSubscriptionRow | undefined> {
  const t = await table(deps);
  for (let attempt = 0; attempt < 10; attempt++) {
    const row = await readChatSubscription(deps, key.siteId, key.issueId, key.kind);
    if (!row) return undefined;
    const { partitionKey: _p, rowKey: _r, etag, ...current } = row;
    const changes = change(current);
    if (!changes) return current;
    const next = { ...current, ...changes };
    if ((await replaceIfMatch(t, chatPk(key.siteId), chatRk(key.issueId, key.kind), next, etag)).ok) return next;
  }
  throw new Error(`chat subscription ${key.siteId}/${key.issueId}/${key.kind} kept changing while being updated; try again`);
}

/** Every chat subscription row of a site (admin listing and the timer; never a request's path). */
export async function listChatSubscriptions(deps: Deps, siteId?: string): Promise<ChatSubscriptionRow[]> {
  const t = await table(deps);
  // `chat|` rows sort between `chat|` and `chat}` (`}` follows `|` in ASCII).
  const filter = siteId
    ? `PartitionKey eq '${encodeKey(chatPk(siteId)).replace(/'/g, "''")}'`
    : `PartitionKey ge 'chat|' and PartitionKey lt 'chat}'`;
  const out: ChatSubscriptionRow[] = [];
  try {
    for await (const e of t.listEntities<ChatSubscriptionRow>({ queryOptions: { filter } })) {
      const { partitionKey: _p, rowKey: _r, etag: _e, ...row } = fromStored<ChatSubscriptionRow>(e);
      out.push(row as ChatSubscriptionRow);
    }
  } catch (e) {
    if (storageStatus(e) !== 404) throw e;
  }
  return out;
}

// ---- processed messages ----

export type MessageState = 'claimed' | 'done';

export interface MessageRow {
  state: MessageState;
  owner: string;
  claimedAt: string;
  doneAt?: string;
  /** What was done (`note`, `ignored: from the service user`, …), for the record. */
  outcome?: string;
}

export type Claim =
  | { status: 'claimed'; etag: string; takeover: boolean }
  | { status: 'done'; outcome?: string }
  | { status: 'busy'; owner: string };

/**
 * Claims a message for processing. A claim left by the same job (a retry after a crash) or older than `leaseSeconds`
 * (a worker that died) is taken over with `takeover: true`: the caller must then check whether the effect already
 * happened before doing it again. A live claim of another job is `busy`: that job's queue message stays until it
 * finishes, and if it fails the host retries it (same job id, so it takes its own claim over), so a duplicate
 * can simply stop.
 */
export async function claimMessage(
  deps: Deps & Pick<Runtime, 'clock'>,
  chatId: string,
  messageId: string,
  owner: string,
  options: { leaseSeconds: number },
): Promise<Claim> {
  const t = await table(deps);
  const now = deps.clock.now();
  const claim: MessageRow = { state: 'claimed', owner, claimedAt: now.toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await insertEntity(t, `msg|${chatId}`, messageId, claim);
    if (inserted.created) return { status: 'claimed', etag: inserted.etag, takeover: false };
    const row = await readEntity<MessageRow>(t, `msg|${chatId}`, messageId);
    if (!row) continue;
    if (row.state === 'done') return { status: 'done', outcome: row.outcome };
    const age = (now.getTime() - Date.parse(row.claimedAt)) / 1000;
    if (row.owner !== owner && age < options.leaseSeconds) return { status: 'busy', owner: row.owner };
    const taken = await replaceIfMatch(t, `msg|${chatId}`, messageId, claim, row.etag);
    if (taken.ok) return { status: 'claimed', etag: taken.etag, takeover: true };
  }
  throw new Error(`could not claim message ${messageId} of chat ${chatId}: the row kept changing`);
}

export async function finishMessage(deps: Deps & Pick<Runtime, 'clock'>, chatId: string, messageId: string, owner: string, outcome: string): Promise<void> {
  const row: MessageRow = { state: 'done', owner, claimedAt: deps.clock.now().toISOString(), doneAt: deps.clock.now().toISOString(), outcome };
  await upsertEntity(await table(deps), `msg|${chatId}`, messageId, row);
}

/** Releases a claim after a failure Jira or Graph answered definitely (nothing happened), so a retry does the work. */
export async function releaseMessage(deps: Deps, chatId: string, messageId: string, etag: string): Promise<void> {
  await deleteEntity(await table(deps), `msg|${chatId}`, messageId, etag);
}

export async function readMessageRow(deps: Deps, chatId: string, messageId: string): Promise<MessageRow | undefined> {
  return readEntity<MessageRow>(await table(deps), `msg|${chatId}`, messageId);
}

/**
 * Refusal pacing: true when this author may be told "no" again in this chat (at most once per `windowSeconds`), so
 * someone retrying a command they may not use does not fill the chat with refusals.
 */
export async function mayAnswerRefusal(deps: Deps & Pick<Runtime, 'clock'>, chatId: string, authorId: string, windowSeconds: number): Promise<boolean> {
  const t = await table(deps);
  const now = deps.clock.now();
  const value = { at: now.toISOString() };
  const inserted = await insertEntity(t, `refusal|${chatId}`, authorId, value);
  if (inserted.created) return true;
  const row = await readEntity<{ at: string }>(t, `refusal|${chatId}`, authorId);
  if (!row) return false;
  if (now.getTime() - Date.parse(row.at) < windowSeconds * 1000) return false;
  return (await replaceIfMatch(t, `refusal|${chatId}`, authorId, value, row.etag)).ok;
}
