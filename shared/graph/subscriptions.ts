// Graph change-notification subscriptions on chat messages and the message reads they lead to
// (../shared/graph-contract.md §10). Delegated, as the chat-to-jira service user (Chat.Read), who must be a member
// of the chat. No resource data in notifications (no `includeResourceData`, so no encryption certificate to manage):
// the message is read afterwards with the service user's token.
import type { Graph } from './client.js';

/** change-notifications lifetime table: Teams chatMessage subscriptions last at most 4,320 minutes (3 days). */
export const maxSubscriptionMinutes = 4320;
/** Ask for a little less than the maximum, so clock skew never makes Graph refuse the expiry. */
export const requestedSubscriptionMinutes = maxSubscriptionMinutes - 60;

export interface GraphSubscription {
  id: string;
  resource: string;
  expirationDateTime: string;
}

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

/**
 * POST /subscriptions. Beyond one hour Graph requires a lifecycleNotificationUrl (teams-cn-chatmessage), which
 * delivers reauthorizationRequired / subscriptionRemoved / missed. Graph validates both URLs before answering
 * (notificationurl-validation), so the app must be reachable at PUBLIC_BASE_URL.
 */
export async function createChatSubscription(
  graph: Graph,
  input: { chatId: string; notificationUrl: string; lifecycleNotificationUrl: string; clientState: string; expirationDateTime: string },
): Promise<GraphSubscription> {
  const r = await graph.post<GraphSubscription>('/subscriptions', {
    changeType: 'created',
    resource: chatMessagesResource(input.chatId),
    notificationUrl: input.notificationUrl,
    lifecycleNotificationUrl: input.lifecycleNotificationUrl,
    clientState: input.clientState,
    expirationDateTime: input.expirationDateTime,
    includeResourceData: false,
  });
  return r.body;
}

/** The app's subscriptions for the signed-in user (delegated) on one resource: finds one a crash left behind. */
export async function findSubscriptionsFor(graph: Graph, resource: string): Promise<GraphSubscription[]> {
  const r = await graph.get<{ value?: GraphSubscription[] }>('/subscriptions');
  return (r.body.value ?? []).filter((s) => s.resource.replace(/^\//, '').toLowerCase() === resource.replace(/^\//, '').toLowerCase());
}

/** PATCH renew: the docs say 200 with the subscription, an older OpenAPI says 204; both are accepted. */
export async function renewSubscription(graph: Graph, subscriptionId: string, expirationDateTime: string): Promise<string> {
  const r = await graph.patch<GraphSubscription | undefined>(`/subscriptions/${encodeURIComponent(subscriptionId)}`, { expirationDateTime });
  return r.body?.expirationDateTime ?? expirationDateTime;
}

/** POST /subscriptions/{id}/reauthorize (lifecycle: the answer to reauthorizationRequired). */
export async function reauthorizeSubscription(graph: Graph, subscriptionId: string): Promise<void> {
  await graph.post(`/subscriptions/${encodeURIComponent(subscriptionId)}/reauthorize`, undefined);
}

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
