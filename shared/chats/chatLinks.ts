// The link between a Jira issue and its Teams chat, one row per (site, issue, kind): the idempotency guard that
// makes "exactly one chat per issue" true. PartitionKey = site id, RowKey = `<issue id>|<kind>`; the issue id (not
// the key) is used because a moved issue keeps its id and gets a new key.
//
// State machine: (none) → creating → created. A worker reserves the row (conditional insert, or an ETag-conditional
// take-over of an abandoned reservation) before it calls POST /chats, which Graph does not deduplicate for group
// chats (graph-contract §1).
import type { Runtime } from '../runtime.js';
import type { ChatKind } from '../jobs/messages.js';
import { chatKinds } from '../jobs/messages.js';
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
}

export type ChatLinkDeps = Pick<Runtime, 'tables'>;

const rowKey = (issueId: string, kind: ChatKind) => `${issueId}|${kind}`;

export async function readChatLink(deps: ChatLinkDeps, siteId: string, issueId: string, kind: ChatKind): Promise<Entity<ChatLink> | undefined> {
  return readEntity<ChatLink>(await deps.tables.table(tableNames.chatLinks), siteId, rowKey(issueId, kind));
}

/** Inserts a reservation; `undefined` when a row already exists (someone else reserved or created it). */
export async function reserveChatLink(deps: ChatLinkDeps, link: ChatLink): Promise<Entity<ChatLink> | undefined> {
  const r = await insertEntity(await deps.tables.table(tableNames.chatLinks), link.siteId, rowKey(link.issueId, link.kind), link);
  return r.created ? { ...link, partitionKey: link.siteId, rowKey: rowKey(link.issueId, link.kind), etag: r.etag } : undefined;
}

/** ETag-conditional write; `undefined` when another worker changed the row first. */
export async function updateChatLink(deps: ChatLinkDeps, current: Entity<ChatLink>, changes: Partial<ChatLink>): Promise<Entity<ChatLink> | undefined> {
  const { partitionKey, rowKey: rk, etag, ...rest } = current;
  const next: ChatLink = { ...rest, ...changes };
  const r = await replaceIfMatch(await deps.tables.table(tableNames.chatLinks), partitionKey, rk, next, etag);
  return r.ok ? { ...next, partitionKey, rowKey: rk, etag: r.etag } : undefined;
}

/** The issue's chat (any kind) that exists, preferring incident, customer, epic, then generic. */
export async function findChatLink(deps: ChatLinkDeps, siteId: string, issueId: string): Promise<Entity<ChatLink> | undefined> {
  const links = await Promise.all(chatKinds.map((kind) => readChatLink(deps, siteId, issueId, kind)));
  return links.find((l) => l?.state === 'created' && l.chatId);
}

