// Group chats, their members and messages (graph-contract.md §1, §2, §4).
import { randomUUID } from 'node:crypto';
import type { FakeGraph, Route } from '../graph.js';
import { servicePlans, type FakeChat, type FakeChatMember, type FakeChatMessage, type FakeUser } from './state.js';
import { appOnly, bindKey, GraphError, timestamp, type GraphCall } from './wire.js';

/**
 * chat-patch.md: "maximum length is 250 characters", and `:` is not allowed. Graph is a .NET service: its string
 * lengths are UTF-16 code units, which is exactly JS `String.length` (an emoji outside the BMP counts 2).
 */
export const MAX_TOPIC_LENGTH = 250;
/** teams-limits: "Only 200 members at a time can be added to a group chat". */
const MAX_INLINE_MEMBERS = 200;
/** teams-limits: "Approximately 28 KB per post". */
const MAX_MESSAGE_BYTES = 28 * 1024;
/** A membership's history default: "omitted → no history is shared". */
const NO_HISTORY = '0001-01-01T00:00:00Z';

const AAD_MEMBER = '#microsoft.graph.aadUserConversationMember';

export function chatResource(chat: FakeChat, expandMembers = false): Record<string, unknown> {
  return {
    id: chat.id,
    topic: chat.topic,
    createdDateTime: chat.createdDateTime,
    lastUpdatedDateTime: chat.lastUpdatedDateTime,
    chatType: chat.chatType,
    webUrl: chat.webUrl,
    tenantId: chat.tenantId,
    isHiddenForAllMembers: false,
    onlineMeetingInfo: null,
    viewpoint: null,
    ...(expandMembers ? { members: chat.members.map(memberResource) } : {}),
  };
}

export function memberResource(member: FakeChatMember): Record<string, unknown> {
  return {
    '@odata.type': AAD_MEMBER,
    id: member.id,
    roles: member.roles,
    displayName: member.displayName,
    visibleHistoryStartDateTime: member.visibleHistoryStartDateTime,
    userId: member.userId,
    email: member.email,
    tenantId: member.tenantId,
  };
}

function messageResource(graph: FakeGraph, message: FakeChatMessage): Record<string, unknown> {
  const from = message.fromUserId ? graph.findUser(message.fromUserId) : undefined;
  const request = message.request;
  return {
    id: message.id,
    replyToId: null,
    etag: message.id,
    messageType: 'message',
    createdDateTime: message.createdDateTime,
    lastModifiedDateTime: message.createdDateTime,
    lastEditedDateTime: null,
    deletedDateTime: null,
    subject: request.subject ?? null,
    summary: null,
    chatId: message.chatId,
    importance: request.importance ?? 'normal',
    locale: 'en-us',
    webUrl: null,
    channelIdentity: null,
    policyViolation: null,
    eventDetail: null,
    from: {
      application: null,
      device: null,
      user: from
        ? { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id: from.id, displayName: from.displayName, userIdentityType: 'aadUser', tenantId: from.tenantId }
        : null,
    },
    body: message.body,
    attachments: request.attachments ?? [],
    mentions: request.mentions ?? [],
    reactions: [],
    messageHistory: [],
  };
}

/** Graph's membership ids are base64 of `0##1##<tenant>##<chat>##<user>`-like strings; clients must not parse them. */
function membershipId(chat: FakeChat, user: FakeUser): string {
  return Buffer.from(`1#${user.tenantId}##${chat.id}##${user.id}`).toString('base64');
}

function validateTopic(topic: unknown): string | null {
  if (topic === undefined || topic === null) return null;
  if (typeof topic !== 'string') throw new GraphError(400, 'BadRequest', 'Invalid value for topic.');
  // UTF-16 code units, as Graph counts (see MAX_TOPIC_LENGTH); a lone surrogate is not valid text either.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(topic)) {
    throw new GraphError(400, 'BadRequest', 'Invalid value for topic.');
  }
  if (topic.length > MAX_TOPIC_LENGTH) {
    throw new GraphError(400, 'BadRequest', `Topic length exceeds the maximum length of ${MAX_TOPIC_LENGTH} characters.`);
  }
  if (topic.includes(':')) throw new GraphError(400, 'BadRequest', "Topic cannot contain the character ':'.");
  return topic;
}

/** Resolves one `aadUserConversationMember` from a request body. */
function resolveMember(graph: FakeGraph, call: GraphCall, body: unknown): { user: FakeUser; roles: string[]; visibleHistoryStartDateTime: string } {
  const member = (body ?? {}) as Record<string, unknown>;
  if (member['@odata.type'] !== AAD_MEMBER && member['@odata.type'] !== AAD_MEMBER.slice(1)) {
    throw new GraphError(400, 'BadRequest', `Member @odata.type must be ${AAD_MEMBER}.`);
  }
  const key = bindKey(member['user@odata.bind'], 'users');
  if (!key) throw new GraphError(400, 'BadRequest', 'Member user@odata.bind must name a user.');
  // A federated member carries its own tenantId (chat-post Example 5).
  const tenantId = typeof member.tenantId === 'string' ? member.tenantId : call.claims.tid;
  const user = graph.findUser(key, tenantId);
  if (!user) throw new GraphError(404, 'NotFound', `User '${key}' was not found in tenant '${tenantId}'.`);
  const roles = Array.isArray(member.roles) ? member.roles.map(String) : [];
  if (roles.length === 0 || roles.some((r) => r !== 'owner' && r !== 'guest')) {
    throw new GraphError(400, 'BadRequest', "Each member must be assigned a role of 'owner' or 'guest'.");
  }
  // chat-post.md: "In-tenant guest users must be assigned the guest role."
  if (user.userType === 'Guest' && user.tenantId === call.claims.tid && !roles.includes('guest')) {
    throw new GraphError(400, 'BadRequest', `Guest user '${user.id}' must be assigned the 'guest' role.`);
  }
  const history = typeof member.visibleHistoryStartDateTime === 'string' ? member.visibleHistoryStartDateTime : NO_HISTORY;
  return { user, roles, visibleHistoryStartDateTime: history };
}

/**
 * A delegated caller needs a Teams licence for any chat call. Without one, Graph answers 403 with the generic code
 * `Forbidden` and "Failed to get license information for the user. Ensure user has a valid Office365 license
 * assigned to them." (msgraph-sdk-powershell#1666 for POST /chats; OfficeDev/microsoft-teams-apps-requestateam#355
 * for a message post): nothing in the code tells it from any other 403.
 */
function requireTeamsLicence(graph: FakeGraph, call: GraphCall): void {
  if (appOnly(call.claims)) return;
  const caller = graph.findUser(call.claims.oid ?? '', call.claims.tid);
  const licensed = caller?.licenseDetails.some((l) =>
    (l.servicePlans ?? []).some((p) => p.servicePlanId === servicePlans.teams.servicePlanId && p.provisioningStatus === 'Success'),
  );
  if (caller && !licensed) {
    throw new GraphError(403, 'Forbidden', 'Failed to get license information for the user. Ensure user has a valid Office365 license assigned to them.');
  }
}

/** The chat a call addresses; in delegated mode the caller must be a member (Teams hides other chats). */
function addressedChat(graph: FakeGraph, call: GraphCall): FakeChat {
  requireTeamsLicence(graph, call);
  const chat = graph.chats.get(call.params.chatId ?? '');
  if (!chat || chat.tenantId !== call.claims.tid) {
    throw new GraphError(404, 'NotFound', `Chat '${call.params.chatId}' was not found.`);
  }
  if (!appOnly(call.claims) && !chat.members.some((m) => m.userId === call.claims.oid)) {
    throw new GraphError(403, 'Forbidden', 'Forbidden: the signed-in user is not a member of this chat.');
  }
  return chat;
}

function expandsMembers(call: GraphCall): boolean {
  return (call.query.get('$expand') ?? '').split(',').some((e) => e.trim().toLowerCase() === 'members');
}

function topicFilter(filter: string | null): ((chat: FakeChat) => boolean) | undefined {
  if (!filter) return undefined;
  const m = /^\s*topic\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
  if (!m || m[1] === undefined) throw new GraphError(400, 'BadRequest', `The fake Graph does not parse this chats $filter: ${filter}`);
  const topic = m[1].replace(/''/g, "'");
  return (chat) => chat.topic === topic;
}

const READ_CHAT = ['Chat.ReadBasic', 'Chat.Read', 'Chat.ReadWrite', 'Chat.ReadBasic.All', 'Chat.Read.All', 'Chat.ReadWrite.All'];
const WRITE_MEMBERS = ['ChatMember.ReadWrite', 'Chat.ReadWrite', 'Chat.Manage.Chat', 'ChatMember.ReadWrite.All', 'Chat.ReadWrite.All'];

export function chatRoutes(): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/chats',
      permissions: ['Chat.Create', 'Chat.ReadWrite', 'Chat.ReadWrite.All'],
      handle(graph, call) {
        requireTeamsLicence(graph, call);
        const body = (call.body ?? {}) as Record<string, unknown>;
        if (body.chatType !== 'group') {
          throw new GraphError(400, 'BadRequest', `The fake Graph only creates group chats (chatType '${String(body.chatType)}').`);
        }
        const topic = validateTopic(body.topic);
        const rawMembers = Array.isArray(body.members) ? body.members : [];
        if (rawMembers.length < 2) throw new GraphError(400, 'BadRequest', 'A group chat needs at least two members.');
        if (rawMembers.length > MAX_INLINE_MEMBERS) {
          throw new GraphError(400, 'BadRequest', `Only ${MAX_INLINE_MEMBERS} members can be added at a time.`);
        }
        const resolved = rawMembers.map((m) => resolveMember(graph, call, m));
        // A member Teams refuses (guest policy, RosterAddMemberBlocked) fails the whole create: nothing is created.
        for (const m of resolved) {
          const block = graph.memberAddFailure(m.user);
          if (block) throw new GraphError(block.status, block.code, block.message);
        }
        // chat-post.md: "Every user who will participate in the chat, including the user who initiates the
        // create request, must be specified in this list."
        if (!appOnly(call.claims) && !resolved.some((m) => m.user.id === call.claims.oid)) {
          throw new GraphError(400, 'BadRequest', 'The user who creates the chat must be in the members list.');
        }
        const now = timestamp(graph.now());
        const id = `19:${randomUUID().replace(/-/g, '')}@thread.v2`;
        const chat: FakeChat = {
          id,
          tenantId: call.claims.tid,
          chatType: 'group',
          topic,
          createdDateTime: now,
          lastUpdatedDateTime: now,
          webUrl: `https://teams.microsoft.com/l/chat/${encodeURIComponent(id)}/0?tenantId=${call.claims.tid}`,
          members: [],
          messages: [],
          createdBy: call.claims.oid ?? String(call.claims.appid),
        };
        const seen = new Set<string>();
        for (const m of resolved) {
          if (seen.has(m.user.id)) continue;
          seen.add(m.user.id);
          chat.members.push(newMember(chat, m.user, m.roles, m.visibleHistoryStartDateTime));
        }
        graph.chats.set(id, chat);
        return { status: 201, body: { '@odata.context': `${graph.baseUrl}/$metadata#chats/$entity`, ...chatResource(chat) } };
      },
    },
    {
      method: 'GET',
      pattern: '/me/chats',
      permissions: ['Chat.ReadBasic', 'Chat.Read', 'Chat.ReadWrite'],
      handle(graph, call) {
        if (appOnly(call.claims)) throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
        requireTeamsLicence(graph, call);
        const match = topicFilter(call.query.get('$filter')) ?? (() => true);
        const value = [...graph.chats.values()]
          .filter((c) => c.tenantId === call.claims.tid && c.members.some((m) => m.userId === call.claims.oid))
          .filter(match)
          .map((c) => chatResource(c, expandsMembers(call)));
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#chats`, '@odata.count': value.length, value } };
      },
    },
    {
      method: 'GET',
      pattern: '/chats/{chatId}',
      permissions: READ_CHAT,
      handle(graph, call) {
        const chat = addressedChat(graph, call);
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#chats/$entity`, ...chatResource(chat, expandsMembers(call)) } };
      },
    },
    {
      method: 'PATCH',
      pattern: '/chats/{chatId}',
      permissions: ['Chat.ReadWrite', 'Chat.ReadWrite.All', 'Chat.ManageDeletion.All'],
      handle(graph, call) {
        const chat = addressedChat(graph, call);
        const body = (call.body ?? {}) as Record<string, unknown>;
        if ('topic' in body) chat.topic = validateTopic(body.topic);
        chat.lastUpdatedDateTime = timestamp(graph.now());
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#chats/$entity`, ...chatResource(chat) } };
      },
    },
    {
      method: 'GET',
      pattern: '/chats/{chatId}/members',
      permissions: ['ChatMember.Read', 'ChatMember.ReadWrite', 'ChatMember.Read.All', 'ChatMember.ReadWrite.All', ...READ_CHAT],
      handle(graph, call) {
        const chat = addressedChat(graph, call);
        return {
          status: 200,
          body: {
            '@odata.context': `${graph.baseUrl}/$metadata#chats('${encodeURIComponent(chat.id)}')/members`,
            '@odata.count': chat.members.length,
            value: chat.members.map(memberResource),
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/chats/{chatId}/members',
      permissions: WRITE_MEMBERS,
      handle(graph, call) {
        const chat = addressedChat(graph, call);
        graph.takeMemberAddSlot(chat.id);
        const { user, roles, visibleHistoryStartDateTime } = resolveMember(graph, call, call.body);
        const block = graph.memberAddFailure(user);
        if (block) throw new GraphError(block.status, block.code, block.message);
        let member = chat.members.find((m) => m.userId === user.id);
        if (!member) {
          member = newMember(chat, user, roles, visibleHistoryStartDateTime);
          chat.members.push(member);
          chat.lastUpdatedDateTime = timestamp(graph.now());
        }
        // chat-post-members.md: 201 with a Location header and no body.
        return { status: 201, headers: { location: `/chats('${chat.id}')/members('${member.id}')` } };
      },
    },
    {
      method: 'DELETE',
      pattern: '/chats/{chatId}/members/{membershipId}',
      permissions: WRITE_MEMBERS,
      handle(graph, call) {
        const chat = addressedChat(graph, call);
        const index = chat.members.findIndex((m) => m.id === call.params.membershipId);
        if (index < 0) throw new GraphError(404, 'NotFound', `Membership '${call.params.membershipId}' was not found.`);
        chat.members.splice(index, 1);
        chat.lastUpdatedDateTime = timestamp(graph.now());
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      pattern: '/chats/{chatId}/messages',
      permissions: ['ChatMessage.Send', 'Chat.ReadWrite', 'Group.ReadWrite.All', 'Teamwork.Migrate.All'],
      handle(graph, call) {
        // chatmessage-post: application permissions are only supported for migration; a normal app-only post
        // fails with PreconditionFailed "Requested API is not supported in application-only context" (issue-2080).
        if (appOnly(call.claims)) {
          throw new GraphError(412, 'PreconditionFailed', 'Requested API is not supported in application-only context');
        }
        const chat = addressedChat(graph, call);
        const body = (call.body ?? {}) as Record<string, unknown>;
        const messageBody = (body.body ?? {}) as { contentType?: string; content?: unknown };
        if (typeof messageBody.content !== 'string') throw new GraphError(400, 'BadRequest', 'Message body content is required.');
        if (Buffer.byteLength(JSON.stringify(body)) > MAX_MESSAGE_BYTES) {
          throw new GraphError(413, 'RequestEntityTooLarge', 'The message exceeds the maximum size of about 28 KB.');
        }
        const createdMs = Math.max(graph.now(), (chat.messages.at(-1) ? Number(chat.messages.at(-1)?.id) + 1 : 0));
        const message: FakeChatMessage = {
          // Graph's chat message ids are the creation time in epoch milliseconds.
          id: String(createdMs),
          chatId: chat.id,
          createdDateTime: timestamp(createdMs),
          fromUserId: call.claims.oid ?? null,
          body: { contentType: messageBody.contentType === 'html' ? 'html' : 'text', content: messageBody.content },
          request: body,
        };
        chat.messages.push(message);
        return {
          status: 201,
          body: { '@odata.context': `${graph.baseUrl}/$metadata#chats('${encodeURIComponent(chat.id)}')/messages/$entity`, ...messageResource(graph, message) },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/chats/{chatId}/messages/{messageId}',
      permissions: ['Chat.Read', 'Chat.ReadWrite', 'Chat.Read.All', 'Chat.ReadWrite.All'],
      handle(graph, call) {
        const chat = addressedChat(graph, call);
        const message = chat.messages.find((m) => m.id === call.params.messageId);
        if (!message) throw new GraphError(404, 'NotFound', `Message '${call.params.messageId}' was not found.`);
        return {
          status: 200,
          body: { '@odata.context': `${graph.baseUrl}/$metadata#chats('${encodeURIComponent(chat.id)}')/messages/$entity`, ...messageResource(graph, message) },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/chats/{chatId}/messages',
      permissions: ['Chat.Read', 'Chat.ReadWrite', 'Chat.Read.All', 'Chat.ReadWrite.All'],
      handle(graph, call) {
        const chat = addressedChat(graph, call);
        const value = [...chat.messages].reverse().map((m) => messageResource(graph, m));
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#chats('${encodeURIComponent(chat.id)}')/messages`, '@odata.count': value.length, value } };
      },
    },
  ];
}

function newMember(chat: FakeChat, user: FakeUser, roles: string[], visibleHistoryStartDateTime: string): FakeChatMember {
  return {
    id: membershipId(chat, user),
    userId: user.id,
    displayName: user.displayName,
    email: user.mail,
    tenantId: user.tenantId,
    roles,
    visibleHistoryStartDateTime,
  };
}
