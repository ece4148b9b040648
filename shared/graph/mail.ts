// Outlook mail through Graph (../shared/graph-contract.md §9): sending (sendMail), and reading one mail folder the
// way mail → Jira does (the folder, its delta query, a message, its attachments, then marking or moving it). Each
// function is one Graph operation; the caller decides what to ask for and what the answer means.
//
// A mailbox is `me` (the signed-in account's own) or another mailbox by UPN or object id (`/users/{id | UPN}`:
// a shared mailbox read with Mail.Read.Shared plus Exchange Full Access, or any mailbox app-only). Keys travel
// percent-encoded (graphKey, graph-contract §5).
//
// Outlook throttling: 10,000 requests per 10 minutes and 4 concurrent requests per app per mailbox
// (throttling-limits.md); the mail-in catch-up reads one message at a time, so it stays far inside both.
import type { Attachment, FileAttachment, MailFolder, Message } from '@microsoft/microsoft-graph-types';
import { graphKey, type Graph } from './client.js';

/** `me`, or another mailbox by UPN / object id. */
export type Mailbox = string;

/** `/me` or `/users/{id | UPN}`. */
export function mailboxPath(mailbox: Mailbox): string {
  return mailbox === 'me' ? '/me' : `/users/${graphKey(mailbox)}`;
}

/** A folder by id or well-known name (`inbox`, mailfolder.md "Use well-known folder names"). */
export function mailFolderPath(mailbox: Mailbox, folder: string): string {
  return `${mailboxPath(mailbox)}/mailFolders/${graphKey(folder)}`;
}

/**
 * The subscription resource for new messages in a folder, in the form of the Outlook change-notification docs:
 * `/me/mailFolders('inbox')/messages` (outlook-change-notifications-overview.md). See ./subscriptions.ts.
 */
export function mailFolderMessagesResource(mailbox: Mailbox, folder: string): string {
  return `${mailboxPath(mailbox)}/mailFolders('${folder}')/messages`;
}

// Immutable ids keep a message's id when it is moved after handling (outlook-immutable-id.md); modest pages
// (message-delta.md: Prefer odata.maxpagesize). Sent on the delta pages and the message read alike.
const readPreferHeaders = { Prefer: 'odata.maxpagesize=25, IdType="ImmutableId"' };

/**
 * POST /me/sendMail or /users/{id | UPN}/sendMail (user-sendmail.md). Delegated Mail.Send (Mail.Send.Shared with
 * `message.from` set to a shared mailbox, which needs Exchange Send As / Send on Behalf,
 * outlook-send-mail-from-other-user.md; without it 403 ErrorSendAsDenied); application Mail.Send, for any mailbox
 * the tenant's Exchange application access policies let the app reach. Answers 202 with no body and no message
 * id, so the Graph request id is all there is to trace it by. `internetMessageHeaders` names must start with `x-`.
 */
export async function sendMail(graph: Graph, mailbox: Mailbox, message: Message, saveToSentItems = true): Promise<{ requestId?: string }> {
  const r = await graph.post(`${mailboxPath(mailbox)}/sendMail`, { message, saveToSentItems });
  return { requestId: r.requestId };
}

/**
 * GET /me|users/{id}/mailFolders/{id | well-known name}?$select=… (mailfolder-get.md). Delegated Mail.ReadBasic /
 * Mail.Read (another user's mailbox: Mail.Read.Shared plus Full Access), application Mail.ReadBasic.All / Mail.Read.
 * A mailbox without Exchange Online answers 404 MailboxNotEnabledForRESTAPI; no access, 403 ErrorAccessDenied.
 */
export async function getMailFolder(graph: Graph, mailbox: Mailbox, folder: string, select: readonly (keyof MailFolder)[]): Promise<MailFolder> {
  return (await graph.get<MailFolder>(`${mailFolderPath(mailbox, folder)}?$select=${select.join(',')}`)).body;
}

/** One page of a folder's delta: messages, then either `nextLink` (more now) or `deltaLink` (the round is done). */
export interface MessagesDeltaPage {
  /** Messages as selected; a deleted one comes as `{ id, '@removed': { reason } }`. */
  value: Array<Message & { '@removed'?: unknown }>;
  nextLink?: string;
  deltaLink?: string;
}

/** Where a delta round starts: the folder's first sync, with its query (query options go only on this request). */
export interface MessagesDeltaStart {
  mailbox: Mailbox;
  folder: string;
  /** Comma-separated message properties, as sent. */
  select: string;
  /** Only messages received at or after this ISO instant (the one `$filter` message-delta allows). */
  receivedSince: string;
}

/**
 * GET …/mailFolders/{id}/messages/delta (message-delta.md): the start of a round, or a page Graph linked to before
 * (an `@odata.nextLink` of this round or the `@odata.deltaLink` of the last one, followed as given: the query is
 * encoded in their tokens). Links are absolute; the client follows them only on its own Graph endpoint
 * (./client.ts), so the token never goes elsewhere. Delegated Mail.ReadBasic / Mail.Read (another mailbox:
 * Mail.Read.Shared plus Full Access, UNVERIFIED, graph-contract §9), application Mail.ReadBasic.All / Mail.Read. An
 * expired or reset sync state answers 410 / `syncStateNotFound` or `resyncRequired`: start over.
 */
export async function messagesDelta(graph: Graph, from: MessagesDeltaStart | string): Promise<MessagesDeltaPage> {
  const path =
    typeof from === 'string'
      ? from
      : `${mailFolderPath(from.mailbox, from.folder)}/messages/delta?$select=${from.select}&$filter=receivedDateTime+ge+${from.receivedSince}`;
  const r = await graph.get<{ value?: MessagesDeltaPage['value']; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }>(path, readPreferHeaders);
  return { value: r.body.value ?? [], nextLink: r.body['@odata.nextLink'], deltaLink: r.body['@odata.deltaLink'] };
}

/**
 * GET /me|users/{id}/messages/{id}?$select=… (message-get.md), immutable id asked for. `internetMessageHeaders` is
 * "returned only on applying a $select query option" (resources/message.md). Permissions as getMailFolder.
 */
export async function getMessage(graph: Graph, mailbox: Mailbox, messageId: string, select: string): Promise<Message> {
  return (await graph.get<Message>(`${mailboxPath(mailbox)}/messages/${graphKey(messageId)}?$select=${select}`, readPreferHeaders)).body;
}

/** An attachment as listed: its `@odata.type` tells a file from an attached item or a reference (attachment.md). */
export type ListedAttachment = Attachment & { '@odata.type'?: string };

/**
 * GET /me|users/{id}/messages/{id}/attachments?$select=id,name,contentType,size,isInline (message-list-attachments.md):
 * the list without contents. Delegated Mail.Read (another mailbox: Mail.Read.Shared), application Mail.Read.
 */
export async function listAttachments(graph: Graph, mailbox: Mailbox, messageId: string): Promise<ListedAttachment[]> {
  const r = await graph.get<{ value?: ListedAttachment[] }>(`${mailboxPath(mailbox)}/messages/${graphKey(messageId)}/attachments?$select=id,name,contentType,size,isInline`);
  return r.body.value ?? [];
}

/**
 * GET /me|users/{id}/messages/{id}/attachments/{id} (attachment-get.md): a file attachment with its base64
 * `contentBytes`. Permissions as listAttachments.
 */
export async function getFileAttachment(graph: Graph, mailbox: Mailbox, messageId: string, attachmentId: string): Promise<FileAttachment> {
  return (await graph.get<FileAttachment>(`${mailboxPath(mailbox)}/messages/${graphKey(messageId)}/attachments/${graphKey(attachmentId)}`)).body;
}

/**
 * PATCH /me|users/{id}/messages/{id} `{ isRead: true }` (message-update.md). Delegated Mail.ReadWrite (another
 * mailbox: Mail.ReadWrite.Shared), application Mail.ReadWrite; Mail.Read alone answers 403.
 */
export async function markMessageRead(graph: Graph, mailbox: Mailbox, messageId: string): Promise<void> {
  const update: Message = { isRead: true };
  await graph.patch(`${mailboxPath(mailbox)}/messages/${graphKey(messageId)}`, update);
}

/**
 * POST /me|users/{id}/messages/{id}/move `{ destinationId }` (message-move.md): a folder id or well-known name.
 * Permissions as markMessageRead. With the immutable id asked for, the message keeps its id (outlook-immutable-id.md).
 */
export async function moveMessage(graph: Graph, mailbox: Mailbox, messageId: string, destinationId: string): Promise<void> {
  await graph.post(`${mailboxPath(mailbox)}/messages/${graphKey(messageId)}/move`, { destinationId }, { Prefer: 'IdType="ImmutableId"' });
}
