// Graph change-notification subscriptions (../shared/graph-contract.md §10, subscription-post-subscriptions.md), on
// chat messages and on a mail folder's messages, and the chat message reads they lead to. Delegated: chat messages
// as the chat-to-jira service user (Chat.Read), who must be a member of the chat; a mail folder as the mail-in
// account, on its own mailbox only (Mail.ReadBasic / Mail.Read: "Delegated permissions only support subscribing to
// items in folders or mailbox of the signed-in user", outlook-change-notifications-overview.md). No resource data
// in notifications (no `includeResourceData`, so no encryption certificate to manage): what changed is read
// afterwards with the same account's token.
//
// Quotas (change-notifications-overview "supported resources"): one subscription per app per chat, 10,000 per
// organisation; beyond them Graph answers 403. The notification endpoint, clientState secrets and the index that
// finds a subscription's owner are ../subscriptions/upkeep.ts.
import type { Subscription } from '@microsoft/microsoft-graph-types';
import type { Graph } from './client.js';
import { mailFolderMessagesResource, type Mailbox } from './mail.js';

/** change-notifications lifetime table: Teams chatMessage subscriptions last at most 4,320 minutes (3 days). */
export const maxSubscriptionMinutes = 4320;
/** Ask for a little less than the maximum, so clock skew never makes Graph refuse the expiry. */
export const requestedSubscriptionMinutes = maxSubscriptionMinutes - 60;

/**
 * change-notifications lifetime table: an Outlook message subscription lasts at most 10,070 minutes (under 7
 * days). (../shared/graph-contract.md §10 still quotes an older 4,230; the current lifetime table says 10,070.)
 */
export const maxMailSubscriptionMinutes = 10_070;
/** A little less than the maximum, so clock skew never makes Graph refuse the expiry. */
export const requestedMailSubscriptionMinutes = maxMailSubscriptionMinutes - 60;

/** A subscription as Graph answers it: these three are always there. */
export type GraphSubscription = Subscription & { id: string; resource: string; expirationDateTime: string };

export interface ChatMessage {
  id: string;
  messageType?: string;
  createdDateTime?: string;
  deletedDateTime?: string | null;
  chatId?: string;
  from?: {
    user?: { id?: string; displayName?: string | null; userIdentityType?: string; tenantId?: string | null } | null;
    application?: { id?: string; displayName?: string | null } | null;
  } | null;
  body?: { contentType?: string; content?: string };
  mentions?: Array<{ id?: number; mentionText?: string; mentioned?: { user?: { id?: string; displayName?: string } | null } | null }>;
}

export function chatMessagesResource(chatId: string): string {
  return `/chats/${chatId}/messages`;
}

export function expiryFrom(now: Date, minutes = requestedSubscriptionMinutes): string {
  return new Date(now.getTime() + minutes * 60_000).toISOString();
}

/** What a new subscription needs besides its resource. */
export interface NewSubscription {
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  /** At most 128 characters (graph-contract §10); Graph echoes it in every notification. */
  clientState: string;
  expirationDateTime: string;
}

/**
 * POST /subscriptions for `created` changes of `resource` (subscription-post-subscriptions.md), 201 with the
 * subscription. Beyond one hour Graph requires a lifecycleNotificationUrl (teams-cn-chatmessage), which delivers
 * reauthorizationRequired / subscriptionRemoved / missed. Graph validates both URLs before answering
 * (notificationurl-validation: each must echo the validationToken within 10 seconds), so the app must be reachable
 * at PUBLIC_BASE_URL; a refused validation answers 400. The permission is the resource's (see the callers).
 */
async function createSubscription(graph: Graph, resource: string, input: NewSubscription): Promise<GraphSubscription> {
  const subscription: Subscription = {
    changeType: 'created',
    resource,
    notificationUrl: input.notificationUrl,
    lifecycleNotificationUrl: input.lifecycleNotificationUrl,
    clientState: input.clientState,
    expirationDateTime: input.expirationDateTime,
    includeResourceData: false,
  };
  return (await graph.post<GraphSubscription>('/subscriptions', subscription)).body;
}

/**
 * New messages of one chat: `/chats/{id}/messages`, delegated Chat.Read (the caller must be a member of the chat),
 * at most 4,320 minutes, one per app per chat (a second answers 403).
 */
export async function createChatSubscription(graph: Graph, input: NewSubscription & { chatId: string }): Promise<GraphSubscription> {
  return createSubscription(graph, chatMessagesResource(input.chatId), input);
}

/**
 * New messages in one mail folder of the signed-in account's own mailbox: `/me/mailFolders('{id}')/messages`,
 * delegated Mail.ReadBasic / Mail.Read, at most 10,070 minutes. Outlook also sends `missed` lifecycle events
 * (change-notifications-lifecycle-events.md). The Outlook shared permissions "don't support subscribing to change
 * notifications on items in shared or delegated folders", so another mailbox is refused with 403.
 */
export async function createMailFolderSubscription(graph: Graph, input: NewSubscription & { mailbox: Mailbox; folder: string }): Promise<GraphSubscription> {
  return createSubscription(graph, mailFolderMessagesResource(input.mailbox, input.folder), input);
}

/**
 * GET /subscriptions (subscription-list.md): the app's subscriptions the signed-in user (delegated) created, here
 * narrowed to one resource: finds one a crash left behind. Permission: that of the resource.
 */
export async function findSubscriptionsFor(graph: Graph, resource: string): Promise<GraphSubscription[]> {
  const r = await graph.get<{ value?: GraphSubscription[] }>('/subscriptions');
  return (r.body.value ?? []).filter((s) => s.resource.replace(/^\//, '').toLowerCase() === resource.replace(/^\//, '').toLowerCase());
}

/**
 * PATCH /subscriptions/{id} `{ expirationDateTime }` (subscription-update.md): renew, within the resource's maximum
 * lifetime. The docs say 200 with the subscription, an older OpenAPI says 204; both are accepted. A subscription
 * that expired or was removed answers 404. Permission: that of the resource.
 */
export async function renewSubscription(graph: Graph, subscriptionId: string, expirationDateTime: string): Promise<string> {
  const renewal: Subscription = { expirationDateTime };
  const r = await graph.patch<GraphSubscription | undefined>(`/subscriptions/${encodeURIComponent(subscriptionId)}`, renewal);
  return r.body?.expirationDateTime ?? expirationDateTime;
}

/**
 * POST /subscriptions/{id}/reauthorize (subscription-reauthorize.md), no body: the answer to a
 * reauthorizationRequired lifecycle event, made with a fresh token ("obtain a valid token, then call /reauthorize",
 * change-notifications-lifecycle-events.md). A gone subscription answers 404. Permission: that of the resource.
 */
export async function reauthorizeSubscription(graph: Graph, subscriptionId: string): Promise<void> {
  await graph.post(`/subscriptions/${encodeURIComponent(subscriptionId)}/reauthorize`, undefined);
}

/** DELETE /subscriptions/{id} (subscription-delete.md), 204; 404 when already gone. Permission: that of the resource. */
export async function deleteSubscription(graph: Graph, subscriptionId: string): Promise<void> {
  await graph.delete(`/subscriptions/${encodeURIComponent(subscriptionId)}`);
}

/**
 * Messages created after `afterMessageId` (chat message ids are creation times in epoch milliseconds,
 * graph-contract §4), oldest first. List chat messages pages newest first with `$top` at most 50; paging stops at
 * the first page that reaches back to the last message seen, or after `maxPages`.
 */
export async function listChatMessagesSince(graph: Graph, chatId: string, afterMessageId: string | undefined, maxPages = 10): Promise<ChatMessage[]> {
  const after = Number(afterMessageId ?? 0);
  const out: ChatMessage[] = [];
  let path: string | undefined = `/chats/${encodeURIComponent(chatId)}/messages?$top=50&$orderby=createdDateTime desc`;
  for (let page = 0; path && page < maxPages; page++) {
    const r: { body: { value?: ChatMessage[]; '@odata.nextLink'?: string } } = await graph.get(path);
    const value = r.body.value ?? [];
    let reachedSeen = false;
    for (const m of value) {
      if (Number(m.id) > after) out.push(m);
      else reachedSeen = true;
    }
    const next = r.body['@odata.nextLink'];
    path = !reachedSeen && next ? relativeToVersion(next) : undefined;
  }
  return out.sort((a, b) => Number(a.id) - Number(b.id));
}

/** A nextLink is absolute (`https://graph.microsoft.com/v1.0/...`); the client wants the part after the version. */
function relativeToVersion(link: string): string {
  const url = new URL(link);
  return url.pathname.replace(/^\/(v1\.0|beta)/, '') + url.search;
}
