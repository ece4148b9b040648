// Members of a Teams chat (graph-contract §2): list, add, remove. Delegated, as the chats service user.
// Throttling (throttling-teams): adding and removing members are each limited to 4 requests per minute per chat
// (plus 30 rps per app per tenant); the caller paces them (chats/memberPacing.ts), these functions do one call each.
import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import type { Graph } from './client.js';

/**
 * A user bound into a chat by object id (`user@odata.bind`, chat-post Example 1 / chat-post-members). Guests of
 * the tenant must have the `guest` role, everyone else is `owner` (chat-post: "Each member must be assigned a role
 * of owner or guest").
 */
export interface MemberBinding extends AadUserConversationMember {
  '@odata.type': '#microsoft.graph.aadUserConversationMember';
  roles: ['owner' | 'guest'];
  'user@odata.bind': string;
}

/** A member as GET /chats/{id}/members answers it: `id` is the membership id (opaque, never the user id). */
export type ChatMember = AadUserConversationMember & { id: string };

/** `/chats/{id}/members` (chats.ts imports from here, so the path is not taken from there: no cycle). */
function membersPath(chatId: string): string {
  return `/chats/${encodeURIComponent(chatId)}/members`;
}

/**
 * The binding of one user: `{graphBaseUrl}/users('{id}')`. The bind is an absolute URL of the same Graph version
 * (chat-post examples); a quote in the key is doubled as OData string literals require.
 */
export function memberBinding(graphBaseUrl: string, entraId: string, isGuest: boolean): MemberBinding {
  return {
    '@odata.type': '#microsoft.graph.aadUserConversationMember',
    roles: [isGuest ? 'guest' : 'owner'],
    'user@odata.bind': `${graphBaseUrl}/users('${entraId.replace(/'/g, "''")}')`,
  };
}

/**
 * GET /chats/{id}/members (learn.microsoft.com/graph/api/chat-list-members).
 * Permission: delegated ChatMember.Read (least), ChatMember.ReadWrite, Chat.ReadBasic, Chat.Read, Chat.ReadWrite.
 * No OData query options are supported, and the list is not paged. Each member carries `userId` (Entra object id).
 */
export async function listChatMembers(graph: Graph, chatId: string): Promise<ChatMember[]> {
  return (await graph.get<{ value?: ChatMember[] }>(membersPath(chatId))).body.value ?? [];
}

/**
 * POST /chats/{id}/members (learn.microsoft.com/graph/api/chat-post-members).
 * Permission: delegated ChatMember.ReadWrite (least), Chat.ReadWrite. Limits: 4 per minute per chat.
 * `visibleHistoryStartDateTime`: omitted shares no history, `0001-01-01T00:00:00Z` shares all of it.
 * Answers 201 with a Location header and no body documented, so nothing is read from the answer.
 */
export async function addChatMember(graph: Graph, chatId: string, member: MemberBinding): Promise<void> {
  await graph.post(membersPath(chatId), member);
}

/**
 * DELETE /chats/{id}/members/{membershipId} (learn.microsoft.com/graph/api/chat-delete-members).
 * Permission: delegated ChatMember.ReadWrite (least), Chat.ReadWrite. Limits: 4 per minute per chat. Takes the
 * membership id from listChatMembers, not the user id. Answers 204.
 */
export async function removeChatMember(graph: Graph, chatId: string, membershipId: string): Promise<void> {
  await graph.delete(`${membersPath(chatId)}/${encodeURIComponent(membershipId)}`);
}
