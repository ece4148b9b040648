// Messages in a Teams chat (graph-contract §4): post one, list the newest, read one. Delegated only: posting
// app-only is "only supported for migration" (chatmessage-post), which is why the bridge has a service user.
import type { ChatMessage } from '@microsoft/microsoft-graph-types';
import type { Graph } from './client.js';

/** A message as Graph answers it: `id` (the creation time in epoch milliseconds, as a string) is always there. */
export type GraphChatMessage = ChatMessage & { id: string };

function messagesPath(chatId: string): string {
  return `/chats/${encodeURIComponent(chatId)}/messages`;
}

/** The request postChatMessage sends, as a dry run lists it (admin/dryRun.ts). */
export const postChatMessageCall = 'POST /chats/{id}/messages';

/**
 * POST /chats/{id}/messages with an HTML body (learn.microsoft.com/graph/api/chat-post-messages).
 * Permission: delegated ChatMessage.Send (least), Chat.ReadWrite. The HTML is built and escaped by the caller
 * (chats/html.ts); `contentType` is spelled `html` as the v1.0 schema does.
 * Limits: about 28 KB per message (teams-limits); 1 POST per second per user per chat, 20 rps per app per tenant
 * (throttling-teams). Not idempotent: the client never retries it on 5xx, a caller that must post once keeps its
 * own record. Answers 201 with the message.
 */
export async function postChatMessage(graph: Graph, chatId: string, html: string): Promise<{ messageId: string }> {
  const body: ChatMessage = { body: { contentType: 'html', content: html } };
  const r = await graph.post<GraphChatMessage>(messagesPath(chatId), body);
  return { messageId: r.body.id };
}

/**
 * GET /chats/{id}/messages?$top=N: the newest messages, one page (learn.microsoft.com/graph/api/chat-list-messages).
 * Permission: delegated Chat.Read (least), Chat.ReadWrite; the chats feature does not require it, so a 403 is
 * possible and the caller decides what it means. Limits: `$top` at most 50.
 */
export async function listRecentChatMessages(graph: Graph, chatId: string, top = 20): Promise<GraphChatMessage[]> {
  return (await graph.get<{ value?: GraphChatMessage[] }>(`${messagesPath(chatId)}?$top=${top}`)).body.value ?? [];
}

/**
 * GET /chats/{id}/messages/{messageId} (learn.microsoft.com/graph/api/chatmessage-get).
 * Permission: delegated Chat.Read (least), Chat.ReadWrite; the reader must be a member of the chat. A deleted
 * message is still answered, with `deletedDateTime` set; an unknown one answers 404.
 */
export async function getChatMessage(graph: Graph, chatId: string, messageId: string): Promise<GraphChatMessage> {
  return (await graph.get<GraphChatMessage>(`${messagesPath(chatId)}/${encodeURIComponent(messageId)}`)).body;
}
