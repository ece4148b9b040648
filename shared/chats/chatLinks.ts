// The link between a Jira issue and its Teams chat, one row per (site, issue): the idempotency guard that makes
// "exactly one chat per issue" true whatever Automation sends (README): an `incident-chat`, a generic `chat` and an
// `epic-chat` for the same issue all reserve the same row, so they race for one chat and the later ones reuse it.
// PartitionKey = site id, RowKey = the issue id (not the key: a moved issue keeps its id and gets a new key). The
// row records which kind of chat it is (`kind`, from the action that created it).
//
// Earlier versions keyed the row per (issue, kind) (`<issue id>|<kind>`); such rows are still read (and reused),
// so an upgrade never creates a second chat for an issue that has one.
//
// State machine: (none) → creating → created. A worker reserves the row (conditional insert, or an ETag-conditional
// take-over of an abandoned reservation) before it calls POST /chats, which Graph does not deduplicate for group
// chats (graph-contract §1).
import type { Runtime } from '../runtime.js';
import type { ChatKind } from '../actions.js';
import { chatKinds } from '../actions.js';
import { insertEntity, readEntity, replaceIfMatch, tableNames, type Entity } from '../storage/tables.js';

export interface ChatLink {
  siteId: string;
  issueId: string;
  issueKey: string;
  kind: ChatKind;
  tenantId: string;
  state: 'creating' | 'created';
  /** Who holds the reservation: `<job id>/<attempt>` of the worker creating the chat. */
  reservationId: string;
  reservedAt: string;
  /** Set when that attempt failed without knowing whether Graph created the chat. */
  abandonedAt?: string;
  /** Set when that attempt gave the reservation up knowing it created no chat (e.g. nobody could be mapped). */
  released?: boolean;
  topic: string;
  chatId?: string;
  webUrl?: string;
  createdAt?: string;
  firstMessagePosted?: boolean;
  remoteLinked?: boolean;
  /** accountId → Entra id (or UPN) of the people this app put into the chat. */
  members?: Record<string, string>;
  /** accountIds already reported to the issue as unmapped (reported once per issue). */
  unmappedReported?: string[];
  /** People the creating run could not map and has not reported yet (survives a deferral of that run). */
  unmappedPending?: { accountId: string; displayName?: string; reason: string }[];
  /** When member adds/removals were sent in the last minute (Graph allows 4 per minute per chat). */
  memberChangeTimes?: string[];
  /** The resolution the closing summary was posted for (a reopened and re-resolved issue gets a new one). */
  closedFor?: string;
  closedAt?: string;
  /** A job posting the summary for this resolution claimed it at `closingAt` (racing deliveries wait). */
  closingFor?: string;
  closingAt?: string;
  /** Last short update posted, to keep to one message per second per chat. */
  lastUpdatePostedAt?: string;
  /** When Graph confirmed the chat no longer exists (deleted in Teams); such a chat is not used or recreated. */
  goneAt?: string;
  goneReason?: string;
}

export type ChatLinkDeps = Pick<Runtime, 'tables'>;

const rowKey = (issueId: string) => issueId;
const legacyRowKey = (issueId: string, kind: ChatKind) => `${issueId}|${kind}`;

/** The issue's chat link (whatever its kind), or `undefined` when no chat was ever reserved for the issue. */
export async function readChatLink(deps: ChatLinkDeps, siteId: string, issueId: string): Promise<Entity<ChatLink> | undefined> {
  const table = await deps.tables.table(tableNames.chatLinks);
  const row = await readEntity<ChatLink>(table, siteId, rowKey(issueId));
  if (row) return row;
  // A row from before one-row-per-issue: prefer a created one, in the order incident, customer, epic, generic.
  const legacy = await Promise.all(chatKinds.map((kind) => readEntity<ChatLink>(table, siteId, legacyRowKey(issueId, kind))));
  return legacy.find((l) => l?.state === 'created') ?? legacy.find((l) => l !== undefined);
}

/** Inserts a reservation; `undefined` when a row already exists (someone else reserved or created it). */
export async function reserveChatLink(deps: ChatLinkDeps, link: ChatLink): Promise<Entity<ChatLink> | undefined> {
  const r = await insertEntity(await deps.tables.table(tableNames.chatLinks), link.siteId, rowKey(link.issueId), link);
  return r.created ? { ...link, partitionKey: link.siteId, rowKey: rowKey(link.issueId), etag: r.etag } : undefined;
}

/** ETag-conditional write; `undefined` when another worker changed the row first. */
export async function updateChatLink(deps: ChatLinkDeps, current: Entity<ChatLink>, changes: Partial<ChatLink>): Promise<Entity<ChatLink> | undefined> {
  const { partitionKey, rowKey: rk, etag, ...rest } = current;
  const next: ChatLink = { ...rest, ...changes };
  const r = await replaceIfMatch(await deps.tables.table(tableNames.chatLinks), partitionKey, rk, next, etag);
  return r.ok ? { ...next, partitionKey, rowKey: rk, etag: r.etag } : undefined;
}

/** The issue's chat, if it was created and still exists. */
export async function findChatLink(deps: ChatLinkDeps, siteId: string, issueId: string): Promise<Entity<ChatLink> | undefined> {
  const link = await readChatLink(deps, siteId, issueId);
  return link?.state === 'created' && link.chatId && !link.goneAt ? link : undefined;
}

