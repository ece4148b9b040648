// Teams chats (graph-contract §1): create a group chat, read one, find the service user's chats by topic, rename.
// Every chat here is delegated, as the chats service user: creating a group chat app-only is unverified
// (graph-contract §1, issue-1532) and the bridge never does it.
import type { Chat } from '@microsoft/microsoft-graph-types';
import type { Graph } from './client.js';
import type { MemberBinding } from './members.js';

/** A chat as Graph answers it: `id` is always there (the types make every property optional). */
export type GraphChat = Chat & { id: string };

/** The body of POST /chats for a group chat: topic and every member (the caller included) bound by user. */
export interface NewGroupChat extends Omit<Chat, 'members'> {
  chatType: 'group';
  topic: string;
  members: MemberBinding[];
}

/** `/chats/{id}`; chat ids (`19:...@thread.v2`) contain `:` and `@`, so they are always encoded. */
export function chatPath(chatId: string): string {
  return `/chats/${encodeURIComponent(chatId)}`;
}

/**
 * The chat id a Graph request path names (`/chats/{id}` or anything below it), or undefined: tells a 404 about a
 * chat from a 404 about something else (GraphRequestError.path is the path as sent, encoded).
 */
export function chatIdInPath(path: string): string | undefined {
  const match = /^\/chats\/([^/?]+)/.exec(path);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/** The request createGroupChat sends, as a dry run lists the calls an event would cause (admin/dryRun.ts). */
export const createGroupChatCall = 'POST /chats';

/**
 * POST /chats: creates a group chat (learn.microsoft.com/graph/api/chat-post).
 * Permission: delegated Chat.Create (least), Chat.ReadWrite; the caller must be one of `members`.
 * Limits: topic at most 250 characters and no `:` (chat-patch, issue-topic-250); up to 250 people, 200 added at a
 * time (teams-limits). Group chats are NOT deduplicated: every call creates a new chat, so the caller keeps its own
 * idempotency (chat links) and the client never retries this POST on 5xx (graph-contract §1, §12).
 * Answers 201 with the chat (id `19:…@thread.v2`, webUrl, createdDateTime).
 */
export async function createGroupChat(graph: Graph, chat: NewGroupChat): Promise<GraphChat> {
  return (await graph.post<GraphChat>('/chats', chat)).body;
}

/**
 * GET /chats/{id} (learn.microsoft.com/graph/api/chat-get).
 * Permission: delegated Chat.ReadBasic (least), Chat.Read, Chat.ReadWrite. A chat deleted in Teams answers 404.
 */
export async function getChat(graph: Graph, chatId: string): Promise<GraphChat> {
  return (await graph.get<GraphChat>(chatPath(chatId))).body;
}

/**
 * GET /me/chats?$filter=topic eq '…'&$top=50: the signed-in user's chats with exactly this topic
 * (learn.microsoft.com/graph/api/chat-list). Permission: delegated Chat.ReadBasic (least), Chat.Read,
 * Chat.ReadWrite; not available app-only ("listing chats is not supported" app-only, graph-contract §1).
 * Limits: `$top` at most 50 ("Maximum allowed $top value is 50"); chat-list supports `$filter` ("Filters
 * results"), which the app uses on topic. One page only: the caller looks for a chat created moments ago.
 */
export async function listMyChatsByTopic(graph: Graph, topic: string): Promise<GraphChat[]> {
  const filter = encodeURIComponent(`topic eq '${topic.replace(/'/g, "''")}'`);
  return (await graph.get<{ value?: GraphChat[] }>(`/me/chats?$filter=${filter}&$top=50`)).body.value ?? [];
}

/**
 * PATCH /chats/{id} { topic } (learn.microsoft.com/graph/api/chat-patch).
 * Permission: delegated Chat.ReadWrite (least of the documented ones; the chats feature holds it as optional).
 * Limits: group chats only; at most 250 characters, no `:` (the caller sanitises, chats/topic.ts).
 */
export async function setChatTopic(graph: Graph, chatId: string, topic: string): Promise<void> {
  await graph.patch(chatPath(chatId), { topic } satisfies Chat);
}
