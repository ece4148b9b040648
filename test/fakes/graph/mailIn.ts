// Reading a mailbox (mail → Jira): mail folders, messages with internetMessageHeaders, attachments, and the
// per-folder delta query, as Graph v1.0 answers them.
//
// - GET /users/{id}/mailFolders/{folder}: a folder by id or well-known name (`inbox`, `archive`…; mailfolder.md
//   "Use well-known folder names"); unknown → 404 ErrorItemNotFound.
// - GET /users/{id}/mailFolders/{folder}/messages/delta (message-delta.md): pages of `Prefer: odata.maxpagesize`
//   messages (default 10 here) with `@odata.nextLink`, the last page with `@odata.deltaLink`; following the
//   deltaLink later answers what arrived since. An unknown token answers 410 `syncStateNotFound` (delta-query
//   overview, "Synchronization reset").
// - `internetMessageHeaders` is "Returned only on applying a $select query option" (resources/message.md), and
//   the fake honours that: a client that forgets to $select it sees no headers.
// - A delegated caller reading a mailbox that is not its own needs Full Access granted in Exchange (there is no
//   Graph API for it): without it 403 ErrorAccessDenied "Access is denied. Check credentials and try again."
//   (the answer for another user's mailbox, outlook-share-messages-folders.md). A user without an Exchange Online
//   mailbox answers 404 MailboxNotEnabledForRESTAPI (known-issues / the error Microsoft documents for unlicensed
//   or on-premises mailboxes). Tests grant access with `graph.mailIn.grantFullAccess`.
// - PATCH /users/{id}/messages/{id} ({ isRead }) and POST …/move ({ destinationId }) need Mail.ReadWrite.
//   With `Prefer: IdType="ImmutableId"` ids survive a move (outlook-immutable-id.md); without it a move changes
//   the id, which the fake reproduces.
import { randomUUID } from 'node:crypto';
import type { FakeGraph, Route } from '../graph.js';
import type { FakeUser } from './state.js';
import { mailFolderOf } from './subscriptions.js';
import { addressedUser } from './users.js';
import { appOnly, GraphError, select, timestamp, type GraphCall } from './wire.js';

export interface FakeMailAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  contentBytes: string;
}

export interface FakeMailMessage {
  id: string;
  /** Immutable id (what a client asking for ImmutableId sees; survives moves). */
  immutableId: string;
  mailboxUserId: string;
  folderId: string;
  internetMessageId: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  from: { emailAddress: { name: string; address: string } };
  toRecipients: Array<{ emailAddress: { name?: string; address: string } }>;
  ccRecipients: Array<{ emailAddress: { name?: string; address: string } }>;
  internetMessageHeaders: Array<{ name: string; value: string }>;
  receivedDateTime: string;
  isRead: boolean;
  attachments: FakeMailAttachment[];
  /** Order of arrival across the fake, for delta tokens. */
  seq: number;
}

export interface MessageSeed {
  subject: string;
  from: { name?: string; address: string };
  cc?: Array<{ name?: string; address: string }>;
  body?: string;
  contentType?: 'text' | 'html';
  headers?: Array<{ name: string; value: string }>;
  internetMessageId?: string;
  attachments?: Array<{ name: string; contentType?: string; content: Buffer; isInline?: boolean }>;
  folder?: string;
}

interface Folder {
  id: string;
  displayName: string;
  wellKnown?: string;
}

const WELL_KNOWN = ['inbox', 'archive', 'deleteditems', 'junkemail', 'sentitems', 'drafts'];

export class FakeMailIn {
  readonly messages: FakeMailMessage[] = [];
  private readonly folders = new Map<string, Folder[]>();
  private readonly fullAccess = new Set<string>();
  private readonly noMailbox = new Set<string>();
  private readonly deltaTokens = new Map<string, { mailboxUserId: string; folderId: string; afterSeq: number }>();
  private seq = 0;

  constructor(private readonly graph: FakeGraph) {}

  /** The arrival number of the newest message anywhere in the fake (delta tokens are positions in this order). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Exchange Full Access for `userId` on `mailbox` (Add-MailboxPermission in real life). */
  grantFullAccess(userId: string, mailbox: FakeUser): void {
    this.fullAccess.add(`${userId}|${mailbox.id}`);
  }

  /** The user has no Exchange Online mailbox (no licence, or hosted on-premises). */
  removeMailbox(user: FakeUser): void {
    this.noMailbox.add(user.id);
  }

  folder(mailbox: FakeUser, key: string): Folder | undefined {
    const list = this.foldersOf(mailbox);
    const k = key.toLowerCase();
    return list.find((f) => f.id === key || f.wellKnown === k);
  }

  addFolder(mailbox: FakeUser, displayName: string): Folder {
    const folder = { id: `AAMkFolder-${randomUUID()}`, displayName };
    this.foldersOf(mailbox).push(folder);
    return folder;
  }

  /**
   * Delivers a message and sends a `created` change notification to every subscription on its folder, as Graph
   * does for Outlook messages: resource `Users/{user id}/Messages/{message id}` and a resourceData naming the
   * message (webhooks-delivery, outlook-change-notifications-overview). Resolves with the HTTP statuses.
   */
  async deliverAndNotify(mailbox: FakeUser, seed: MessageSeed): Promise<{ message: FakeMailMessage; statuses: number[] }> {
    const message = this.deliver(mailbox, seed);
    const statuses: number[] = [];
    for (const s of [...this.graph.subscriptions.values()]) {
      const watched = mailFolderOf(this.graph, s);
      if (!watched || watched.userId !== mailbox.id || watched.folderId !== message.folderId || !s.changeType.split(',').includes('created')) continue;
      const resource = `Users/${mailbox.id}/Messages/${message.id}`;
      statuses.push(
        await this.graph.notify(s.id, {
          changeType: 'created',
          resource,
          resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': resource, '@odata.etag': `W/"${message.seq}"`, id: message.id },
        }),
      );
    }
    return { message, statuses };
  }

  /** Delivers a message to a folder (default Inbox) of `mailbox`, in the shape Exchange gives it. */
  deliver(mailbox: FakeUser, seed: MessageSeed): FakeMailMessage {
    const folder = this.folder(mailbox, seed.folder ?? 'inbox');
    if (!folder) throw new Error(`deliver: no folder ${seed.folder}`);
    const message: FakeMailMessage = {
      id: `AAMkMsg-${randomUUID()}`,
      immutableId: `AAkALgImm-${randomUUID()}`,
      mailboxUserId: mailbox.id,
      folderId: folder.id,
      internetMessageId: seed.internetMessageId ?? `<${randomUUID()}@mail.example>`,
      subject: seed.subject,
      body: { contentType: seed.contentType ?? 'html', content: seed.body ?? '' },
      from: { emailAddress: { name: seed.from.name ?? seed.from.address, address: seed.from.address } },
      toRecipients: [{ emailAddress: { name: mailbox.displayName, address: mailbox.mail ?? mailbox.userPrincipalName } }],
      // resources/recipient.md: each recipient is { emailAddress: { name, address } }; Exchange fills name with the
      // address when the sender's client gave none.
      ccRecipients: (seed.cc ?? []).map((c) => ({ emailAddress: { name: c.name ?? c.address, address: c.address } })),
      internetMessageHeaders: seed.headers ?? [],
      receivedDateTime: timestamp(this.graph.now()),
      isRead: false,
      attachments: (seed.attachments ?? []).map((a) => ({
        id: `AAMkAtt-${randomUUID()}`,
        name: a.name,
        contentType: a.contentType ?? 'application/octet-stream',
        size: a.content.length,
        isInline: a.isInline ?? false,
        contentBytes: a.content.toString('base64'),
      })),
      seq: ++this.seq,
    };
    this.messages.push(message);
    return message;
  }

  private foldersOf(mailbox: FakeUser): Folder[] {
    let list = this.folders.get(mailbox.id);
    if (!list) {
      list = WELL_KNOWN.map((w) => ({ id: `AAMkFolder-${w}-${mailbox.id}`, displayName: w === 'inbox' ? 'Inbox' : w, wellKnown: w }));
      this.folders.set(mailbox.id, list);
    }
    return list;
  }

  /** @internal the mailbox in the path, after Exchange's access and mailbox checks. */
  mailbox(call: GraphCall): FakeUser {
    const mailbox = addressedUser(this.graph, call, call.params.userId);
    if (this.noMailbox.has(mailbox.id)) {
      throw new GraphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
    }
    if (!appOnly(call.claims)) {
      const caller = addressedUser(this.graph, call, undefined);
      if (caller.id !== mailbox.id && !this.fullAccess.has(`${caller.id}|${mailbox.id}`)) {
        throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      }
    }
    return mailbox;
  }

  /** @internal */
  folderOf(call: GraphCall, mailbox: FakeUser): Folder {
    const folder = this.folder(mailbox, call.params.folderId ?? '');
    if (!folder) throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    return folder;
  }

  /** @internal */
  message(call: GraphCall, mailbox: FakeUser): FakeMailMessage {
    const key = call.params.messageId;
    const m = this.messages.find((x) => x.mailboxUserId === mailbox.id && (x.id === key || x.immutableId === key));
    if (!m) throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    return m;
  }

  /** @internal */
  newDeltaToken(mailboxUserId: string, folderId: string, afterSeq: number): string {
    const token = randomUUID().replace(/-/g, '');
    this.deltaTokens.set(token, { mailboxUserId, folderId, afterSeq });
    return token;
  }

  /** Forgets every delta token, as Exchange does when a folder's sync state is reset: old links answer 410. */
  resetSyncState(): void {
    this.deltaTokens.clear();
  }

  /** @internal */
  deltaState(token: string) {
    return this.deltaTokens.get(token);
  }
}

function immutable(call: GraphCall): boolean {
  return /IdType\s*=\s*"?ImmutableId"?/i.test(call.headers.prefer ?? '');
}

function messageBody(call: GraphCall, m: FakeMailMessage) {
  const full = {
    id: immutable(call) ? m.immutableId : m.id,
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    body: m.body,
    bodyPreview: m.body.content.replace(/<[^>]*>/g, '').slice(0, 255),
    from: m.from,
    sender: m.from,
    toRecipients: m.toRecipients,
    ccRecipients: m.ccRecipients,
    receivedDateTime: m.receivedDateTime,
    isRead: m.isRead,
    hasAttachments: m.attachments.some((a) => !a.isInline),
    parentFolderId: m.folderId,
    internetMessageHeaders: m.internetMessageHeaders,
  };
  // Graph always returns `id`, whatever $select names.
  const selected: Record<string, unknown> = { id: full.id, ...select(full, call.query) };
  // resources/message.md: internetMessageHeaders is "Returned only on applying a $select query option".
  if (!call.query.get('$select')) delete selected.internetMessageHeaders;
  return selected;
}

function getFolder(graph: FakeGraph, call: GraphCall) {
  const mailbox = graph.mailIn.mailbox(call);
  const folder = graph.mailIn.folderOf(call, mailbox);
  const inFolder = graph.mailIn.messages.filter((m) => m.mailboxUserId === mailbox.id && m.folderId === folder.id);
  const body = {
    id: folder.id,
    displayName: folder.displayName,
    parentFolderId: null,
    childFolderCount: 0,
    totalItemCount: inFolder.length,
    unreadItemCount: inFolder.filter((m) => !m.isRead).length,
  };
  return { status: 200, body: { id: folder.id, ...select(body, call.query) } };
}

function delta(graph: FakeGraph, call: GraphCall) {
  const mailbox = graph.mailIn.mailbox(call);
  let folder = graph.mailIn.folderOf(call, mailbox);
  let afterSeq = 0;
  const token = call.query.get('$deltatoken') ?? call.query.get('$skiptoken');
  if (token) {
    const state = graph.mailIn.deltaState(token);
    if (!state || state.mailboxUserId !== mailbox.id) {
      throw new GraphError(410, 'syncStateNotFound', 'The sync state generation is not found. Please restart the sync.');
    }
    afterSeq = state.afterSeq;
    folder = graph.mailIn.folder(mailbox, state.folderId) ?? folder;
  }
  // message-delta.md: only `receivedDateTime ge|gt {value}` is supported as $filter (initial request only).
  let since = 0;
  const filter = call.query.get('$filter');
  if (filter && !token) {
    const m = /^receivedDateTime\s+(ge|gt)\s+(\S+)$/i.exec(filter.trim());
    if (!m?.[2] || Number.isNaN(Date.parse(m[2]))) throw new GraphError(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
    since = Date.parse(m[2]) + (m[1]!.toLowerCase() === 'gt' ? 1 : 0);
  }
  const pageSize = Number(/odata\.maxpagesize=(\d+)/.exec(call.headers.prefer ?? '')?.[1] ?? 10);
  const pending = graph.mailIn.messages.filter((m) => m.mailboxUserId === mailbox.id && m.folderId === folder.id && m.seq > afterSeq && Date.parse(m.receivedDateTime) >= since);
  const page = pending.slice(0, pageSize);
  const more = pending.length > page.length;
  // The last page's token covers everything up to now, also what the $filter left out: a delta link only answers
  // changes made after it was issued (delta-query overview). (Taking the last *returned* message here made an
  // empty filtered first sync replay the folder's older mail on the next round.)
  const last = more ? page.at(-1)!.seq : Math.max(afterSeq, graph.mailIn.lastSeq);
  const base = `${graph.baseUrl}/users/${encodeURIComponent(mailbox.id)}/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`;
  const next = graph.mailIn.newDeltaToken(mailbox.id, folder.id, last);
  return {
    status: 200,
    body: {
      '@odata.context': `${graph.baseUrl}/$metadata#Collection(message)`,
      value: page.map((m) => messageBody(call, m)),
      ...(more ? { '@odata.nextLink': `${base}?$skiptoken=${next}` } : { '@odata.deltaLink': `${base}?$deltatoken=${next}` }),
    },
  };
}

function getMessage(graph: FakeGraph, call: GraphCall) {
  const mailbox = graph.mailIn.mailbox(call);
  return { status: 200, body: messageBody(call, graph.mailIn.message(call, mailbox)) };
}

function listAttachments(graph: FakeGraph, call: GraphCall) {
  const mailbox = graph.mailIn.mailbox(call);
  const m = graph.mailIn.message(call, mailbox);
  return {
    status: 200,
    body: {
      value: m.attachments.map((a) => ({
        '@odata.type': '#microsoft.graph.fileAttachment',
        id: a.id,
        ...select({ id: a.id, name: a.name, contentType: a.contentType, size: a.size, isInline: a.isInline }, call.query),
      })),
    },
  };
}

function getAttachment(graph: FakeGraph, call: GraphCall) {
  const mailbox = graph.mailIn.mailbox(call);
  const m = graph.mailIn.message(call, mailbox);
  const a = m.attachments.find((x) => x.id === call.params.attachmentId);
  if (!a) throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  return { status: 200, body: { '@odata.type': '#microsoft.graph.fileAttachment', ...a } };
}

function requireWrite(graph: FakeGraph, call: GraphCall, mailbox: FakeUser) {
  const perms = [...(call.claims.scp?.split(' ') ?? []), ...(call.claims.roles ?? [])].map((p) => p.toLowerCase());
  // Mail.Read cannot change a message: Graph answers 403 ErrorAccessDenied (permissions reference: Mail.ReadWrite);
  // in another (shared) mailbox a delegated caller needs Mail.ReadWrite.Shared (outlook-share-messages-folders.md).
  const own = appOnly(call.claims) || addressedUser(graph, call, undefined).id === mailbox.id;
  const needed = appOnly(call.claims) || own ? 'mail.readwrite' : 'mail.readwrite.shared';
  if (!perms.includes(needed)) throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}

function patchMessage(graph: FakeGraph, call: GraphCall) {
  const mailbox = graph.mailIn.mailbox(call);
  requireWrite(graph, call, mailbox);
  const m = graph.mailIn.message(call, mailbox);
  const body = (call.body ?? {}) as { isRead?: unknown };
  if (typeof body.isRead === 'boolean') m.isRead = body.isRead;
  return { status: 200, body: messageBody(call, m) };
}

function moveMessage(graph: FakeGraph, call: GraphCall) {
  const mailbox = graph.mailIn.mailbox(call);
  requireWrite(graph, call, mailbox);
  const m = graph.mailIn.message(call, mailbox);
  const destination = String((call.body as { destinationId?: unknown } | undefined)?.destinationId ?? '');
  const folder = graph.mailIn.folder(mailbox, destination);
  if (!folder) throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  m.folderId = folder.id;
  m.id = `AAMkMsg-${randomUUID()}`; // a move gives a new (mutable) id
  return { status: 201, body: messageBody(call, m) };
}

export function mailInRoutes(): Route[] {
  const read = ['Mail.ReadBasic', 'Mail.Read', 'Mail.ReadWrite', 'Mail.Read.Shared', 'Mail.ReadWrite.Shared'];
  const write = ['Mail.ReadWrite', 'Mail.ReadWrite.Shared'];
  const routes: Route[] = [];
  for (const prefix of ['/me', '/users/{userId}']) {
    routes.push(
      { method: 'GET', pattern: `${prefix}/mailFolders/{folderId}`, permissions: read, handle: getFolder },
      { method: 'GET', pattern: `${prefix}/mailFolders/{folderId}/messages/delta`, permissions: read, handle: delta },
      { method: 'GET', pattern: `${prefix}/messages/{messageId}`, permissions: read, handle: getMessage },
      { method: 'PATCH', pattern: `${prefix}/messages/{messageId}`, permissions: write, handle: patchMessage },
      { method: 'POST', pattern: `${prefix}/messages/{messageId}/move`, permissions: write, handle: moveMessage },
      { method: 'GET', pattern: `${prefix}/messages/{messageId}/attachments`, permissions: read, handle: listAttachments },
      { method: 'GET', pattern: `${prefix}/messages/{messageId}/attachments/{attachmentId}`, permissions: read, handle: getAttachment },
    );
  }
  return routes;
}
