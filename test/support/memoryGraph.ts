// A typed, in-memory Microsoft Graph behind the app's own `Graph` interface (shared/graph/client.ts), for unit
// tests of shared/graph/*.ts and of workflows: no HTTP, no token, but every request is first checked against
// Microsoft's v1.0 schema by ../shared/contracts/graph/check.mjs (as test/fakes/graph.ts does over HTTP); a
// violation fails the call with an AssertionError and is kept in `violations`.
//
// State is typed with @microsoft/microsoft-graph-types and answered the way Graph answers (graph-contract §1–§7):
// POST /chats needs the caller among the members, a topic of at most 250 UTF-16 units without `:`, and users
// that exist (404 otherwise); member adds answer 201 without a body; message ids are creation times in epoch
// milliseconds; `$batch` answers inner requests individually (outer success even when inner ones fail) and in
// reverse order (json-batching: "responses may come in any order"); createOrGet answers 201 once, then 200 for the
// same (organizer, externalId). Failures are injected with `fail(...)`, answered as the real client answers them:
// GraphRequestError for 4xx/5xx, ThrottledError for 429/503/504 (client.ts toError).
//
//   const graph = new MemoryGraph();
//   const me = graph.signIn(graph.addUser({ displayName: 'Bridge Service' }));
//   ... call shared/graph/*.ts or a workflow with graph.session() ...
//   assert.deepEqual(graph.calls('POST', /^\/chats$/).length, 1);
import { AssertionError } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { Chat, ChatMessage, LicenseDetails, MailboxSettings, AadUserConversationMember, Message, OnlineMeeting, User } from '@microsoft/microsoft-graph-types';
import { ThrottledError } from '../../shared/errors.js';
import { GraphRequestError, type BatchRequest, type BatchResponse, type Graph, type GraphResponse } from '../../shared/graph/client.js';
import { graphCheckerUrl } from './repoRoot.js';

interface GraphChecker {
  checkGraphRequest(request: { method: string; url: string; body?: unknown; headers?: Record<string, string> }): { ok: boolean; errors: string[] };
}
let checker: Promise<GraphChecker> | undefined;
const loadChecker = () => (checker ??= import(graphCheckerUrl()) as Promise<GraphChecker>);

export type MemoryUser = User & { id: string; userPrincipalName: string };
export type MemoryChat = Omit<Chat, 'members' | 'messages'> & { id: string; topic: string; members: Array<AadUserConversationMember & { id: string; userId: string }>; messages: Array<ChatMessage & { id: string }> };
export type MemoryMeeting = OnlineMeeting & { id: string; joinWebUrl: string; externalId: string; organizerId: string };

/** A sendMail Graph accepted (202): whose mailbox sent it, and the message as sent. */
export interface MemorySentMail {
  mailboxUserId: string;
  /** The signed-in caller; undefined for app-only. */
  callerUserId?: string;
  message: Message;
  saveToSentItems: boolean;
}

export interface RecordedCall {
  method: string;
  /** The path as sent, query included (`/users?$filter=...`). */
  url: string;
  body?: unknown;
  /** Set for requests inside a `$batch`. */
  inBatch?: boolean;
}

export interface InjectedFailure {
  method?: string;
  url: RegExp;
  status: number;
  code?: string;
  retryAfterSeconds?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
}

/** chat-patch / issue-topic-250: at most 250 characters, no colon. */
const maxTopicLength = 250;
/** json-batching: at most 20 requests per batch. */
const maxBatch = 20;

export class MemoryGraph implements Graph {
  readonly users = new Map<string, MemoryUser>();
  readonly chats = new Map<string, MemoryChat>();
  readonly meetings: MemoryMeeting[] = [];
  readonly mailboxSettings = new Map<string, MailboxSettings>();
  readonly licenceDetails = new Map<string, LicenseDetails[]>();
  /** Users Teams refuses as chat members (a roster or guest policy): any create or add naming them fails. */
  readonly refusedMembers = new Map<string, { status: number; code: string }>();
  /** Every accepted sendMail, in order. */
  readonly outbox: MemorySentMail[] = [];
  /** Exchange Send As / Send on Behalf rights, granted outside Graph: `${callerId}|${address lower-cased}`. */
  readonly sendAsGrants = new Set<string>();
  readonly calls: RecordedCall[] = [];
  readonly violations: string[] = [];
  readonly requestIds: string[] = [];
  /** The endpoint member bindings name (memoryWorkflow's GRAPH_BASE_URL is the same). */
  readonly baseUrl = 'https://graph.microsoft.com/v1.0';
  /** The signed-in (delegated) user, whom `/me` names; undefined means an app-only token. */
  signedIn: MemoryUser | undefined;
  private readonly failures: Array<InjectedFailure & { remaining: number }> = [];
  private readonly now: () => number;
  private lastMs = 0;

  /** `now`: the clock of timestamps and message ids (default Date.now); a workflow test hands in its own clock. */
  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  addUser(seed: Partial<User> & { displayName: string }): MemoryUser {
    const id = seed.id ?? randomUUID();
    const alias = seed.displayName.toLowerCase().replace(/[^a-z0-9]+/g, '.');
    const user: MemoryUser = { userType: 'Member', mail: `${alias}@contoso.example`, ...seed, id, userPrincipalName: seed.userPrincipalName ?? `${alias}@contoso.example` };
    this.users.set(id, user);
    return user;
  }

  signIn(user: MemoryUser): MemoryUser {
    this.signedIn = user;
    return user;
  }

  /** This Graph as the workflows' GraphSession (deps.graphFor answers it). */
  session(): this & { kind: 'delegated' | 'app'; serviceUserObjectId?: string } {
    return Object.assign(this, { kind: this.signedIn ? ('delegated' as const) : ('app' as const), serviceUserObjectId: this.signedIn?.id });
  }

  fail(failure: InjectedFailure): void {
    this.failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  /** Calls made, optionally only those with this method and a URL matching `url`. */
  made(method?: string, url?: RegExp): RecordedCall[] {
    return this.calls.filter((c) => (!method || c.method === method) && (!url || url.test(c.url)));
  }

  addChat(seed: { topic: string; memberIds: string[] }): MemoryChat {
    const chat: MemoryChat = {
      id: `19:${randomUUID().replace(/-/g, '')}@thread.v2`,
      chatType: 'group',
      topic: seed.topic,
      createdDateTime: this.tick(),
      members: [],
      messages: [],
    };
    chat.webUrl = `https://teams.microsoft.com/l/chat/${encodeURIComponent(chat.id)}/0`;
    for (const userId of seed.memberIds) chat.members.push(this.membership(this.userOrThrow(userId), 'owner'));
    this.chats.set(chat.id, chat);
    return chat;
  }

  // ---------------------------------------------------------------- the Graph interface

  async get<T>(path: string): Promise<GraphResponse<T>> {
    return this.send<T>('GET', path);
  }

  async post<T>(path: string, body: unknown): Promise<GraphResponse<T>> {
    return this.send<T>('POST', path, body);
  }

  async patch<T>(path: string, body: unknown): Promise<GraphResponse<T>> {
    return this.send<T>('PATCH', path, body);
  }

  async delete(path: string): Promise<GraphResponse<undefined>> {
    return this.send<undefined>('DELETE', path);
  }

  async batch(requests: BatchRequest[]): Promise<BatchResponse[]> {
    if (requests.length > maxBatch) throw new Error('a Graph $batch holds at most 20 requests');
    await this.check('POST', '/$batch', { requests });
    this.calls.push({ method: 'POST', url: '/$batch', body: { requests } });
    const out: BatchResponse[] = [];
    for (const r of requests) {
      this.calls.push({ method: r.method, url: r.url, body: r.body, inBatch: true });
      try {
        const answer = this.injected(r.method, r.url) ?? this.route(r.method, r.url, r.body);
        out.push({ id: r.id, status: answer.status, body: answer.body, headers: { 'content-type': 'application/json' } });
      } catch (e) {
        if (!(e instanceof Answer)) throw e;
        out.push({ id: r.id, status: e.status, body: { error: { code: e.code, message: e.message } }, headers: e.headers });
      }
    }
    return out.reverse();
  }

  assertNoViolations(): void {
    if (this.violations.length) throw new AssertionError({ message: `Graph contract violations:\n${this.violations.join('\n')}` });
  }

  // ---------------------------------------------------------------- plumbing

  private async send<T>(method: string, path: string, body?: unknown): Promise<GraphResponse<T>> {
    await this.check(method, path, body);
    this.calls.push({ method, url: path, body });
    const requestId = randomUUID();
    this.requestIds.push(requestId);
    try {
      const answer = this.injected(method, path) ?? this.route(method, path, body);
      return { status: answer.status, body: answer.body as T, headers: new Headers({ 'request-id': requestId }), requestId };
    } catch (e) {
      if (!(e instanceof Answer)) throw e;
      // As client.ts toError does: 429/503/504 are ThrottledError, any other error status a GraphRequestError.
      if ([429, 503, 504].includes(e.status)) {
        throw Object.assign(new ThrottledError(`Graph ${method} ${path} throttled (${e.status} ${e.code})`, Number(e.headers['retry-after'] ?? 10)), { status: e.status, requestId });
      }
      throw new GraphRequestError(e.status, e.code, e.message, method, path, requestId);
    }
  }

  private async check(method: string, url: string, body: unknown): Promise<void> {
    const result = (await loadChecker()).checkGraphRequest({ method, url, body, headers: { 'content-type': 'application/json' } });
    if (!result.ok) {
      const line = `${method} ${url}: ${result.errors.join('; ')}`;
      this.violations.push(line);
      throw new AssertionError({ message: `Graph contract violation: ${line}` });
    }
  }

  private injected(method: string, url: string): undefined {
    const rule = this.failures.find((f) => f.remaining > 0 && (!f.method || f.method === method) && f.url.test(url));
    if (!rule) return undefined;
    rule.remaining--;
    const headers: Record<string, string> = rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : {};
    throw new Answer(rule.status, rule.code ?? `http${rule.status}`, 'injected failure', headers);
  }

  /** Now, strictly later than the last timestamp handed out: message ids (epoch ms) stay unique and ordered. */
  private tick(): string {
    this.lastMs = Math.max(this.now(), this.lastMs + 1);
    return new Date(this.lastMs).toISOString();
  }

  private me(): MemoryUser {
    if (!this.signedIn) throw new Answer(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    return this.signedIn;
  }

  private userOrThrow(key: string): MemoryUser {
    const user = this.users.get(key) ?? [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === key.toLowerCase());
    if (!user) throw new Answer(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist.`);
    return user;
  }

  private chatOrThrow(id: string): MemoryChat {
    const chat = this.chats.get(id);
    if (!chat) throw new Answer(404, 'NotFound', `Chat '${id}' was not found.`);
    return chat;
  }

  private membership(user: MemoryUser, role: string): MemoryChat['members'][number] {
    return { id: randomUUID(), userId: user.id, displayName: user.displayName, email: user.mail, roles: [role], visibleHistoryStartDateTime: '0001-01-01T00:00:00Z' };
  }

  /** A member binding of POST /chats or POST /chats/{id}/members → the user (chat-post: owner or guest role). */
  private bound(member: Record<string, unknown>): { user: MemoryUser; role: string } {
    const bind = String(member['user@odata.bind'] ?? '');
    const key = /\/users(?:\('(.+)'\)|\/(.+))$/.exec(bind);
    if (!key) throw new Answer(400, 'BadRequest', 'Member user@odata.bind must name a user.');
    const user = this.userOrThrow((key[1] ?? decodeURIComponent(key[2]!)).replace(/''/g, "'"));
    const roles = member.roles as string[] | undefined;
    const role = roles?.[0];
    if (roles?.length !== 1 || (role !== 'owner' && role !== 'guest')) throw new Answer(400, 'BadRequest', "Each member must be assigned a role of 'owner' or 'guest'.");
    if (user.userType === 'Guest' && role !== 'guest') throw new Answer(400, 'BadRequest', `Guest user '${user.id}' must be assigned the 'guest' role.`);
    // A member Teams refuses fails the whole request: a refused create creates nothing.
    const refusal = this.refusedMembers.get(user.id);
    if (refusal) throw new Answer(refusal.status, refusal.code, `Teams refused to add user '${user.id}'.`);
    return { user, role };
  }

  private route(method: string, url: string, body: unknown): { status: number; body?: unknown } {
    const [rawPath, query = ''] = url.split('?') as [string, string?];
    const params = new URLSearchParams(query);
    const seg = rawPath.split('/').filter(Boolean).map(decodeURIComponent);
    const key = `${method} /${seg.map((s, i) => (i % 2 === 1 && seg[0] !== 'me' ? '{}' : s)).join('/')}`;
    const meKey = `${method} /${seg.join('/')}`;

    if (meKey === 'GET /me') return { status: 200, body: select(this.me(), params) };
    if (meKey === 'GET /me/mailboxSettings') {
      const settings = this.mailboxSettings.get(this.me().id);
      if (!settings) throw new Answer(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
      return { status: 200, body: settings };
    }
    if (meKey === 'GET /me/licenseDetails') return { status: 200, body: { value: this.licenceDetails.get(this.me().id) ?? [] } };
    if (meKey === 'GET /me/chats') {
      const me = this.me();
      const topic = /^topic eq '((?:[^']|'')*)'$/.exec(params.get('$filter') ?? '');
      if (!topic) throw new Answer(400, 'BadRequest', 'The memory Graph parses only `topic eq` filters on /me/chats.');
      const top = Number(params.get('$top') ?? 50);
      if (top > 50) throw new Answer(400, 'BadRequest', '$top may be at most 50.');
      const wanted = topic[1]!.replace(/''/g, "'");
      const mine = [...this.chats.values()].filter((c) => c.topic === wanted && c.members.some((m) => m.userId === me.id));
      return { status: 200, body: { value: mine.slice(0, top).map(chatAnswer) } };
    }
    if (meKey === 'POST /me/onlineMeetings/createOrGet') return this.createOrGet(this.me(), body);
    if (meKey === 'POST /me/sendMail') return this.sendMail(this.me(), body);
    if (method === 'POST' && seg.length === 3 && seg[0] === 'users' && seg[2] === 'sendMail') return this.sendMail(this.userOrThrow(seg[1]!), body);
    if (method === 'POST' && seg.length === 4 && seg[0] === 'users' && seg[2] === 'onlineMeetings' && seg[3] === 'createOrGet') {
      // App-only createOrGet acts for the organizer named in the path (an application access policy allows it).
      if (this.signedIn) throw new Answer(400, 'BadRequest', 'the memory Graph expects /users/{id}/onlineMeetings app-only');
      return this.createOrGet(this.userOrThrow(seg[1]!), body);
    }

    switch (key) {
      case 'POST /chats':
        return this.createChat(body as Record<string, unknown>);
      case 'GET /chats/{}':
        return { status: 200, body: chatAnswer(this.readableChat(seg[1]!)) };
      case 'PATCH /chats/{}': {
        const chat = this.readableChat(seg[1]!);
        const topic = (body as { topic?: unknown }).topic;
        if (typeof topic === 'string') chat.topic = checkedTopic(topic);
        return { status: 204 };
      }
      case 'GET /chats/{}/members':
        if (params.size) throw new Answer(400, 'BadRequest', 'chat-list-members: this operation does not support the OData query parameters.');
        return { status: 200, body: { value: this.readableChat(seg[1]!).members } };
      case 'POST /chats/{}/members': {
        const chat = this.readableChat(seg[1]!);
        const { user, role } = this.bound(body as Record<string, unknown>);
        if (chat.members.some((m) => m.userId === user.id)) throw new Answer(409, 'Conflict', 'The user is already a member of the chat.');
        chat.members.push(this.membership(user, role));
        return { status: 201 };
      }
      case 'DELETE /chats/{}/members/{}': {
        const chat = this.readableChat(seg[1]!);
        const index = chat.members.findIndex((m) => m.id === seg[3]);
        if (index < 0) throw new Answer(404, 'NotFound', `Membership '${seg[3]}' was not found.`);
        chat.members.splice(index, 1);
        return { status: 204 };
      }
      case 'POST /chats/{}/messages': {
        const chat = this.readableChat(seg[1]!);
        const me = this.signedIn;
        // chatmessage-post: app-only posting is only supported for migration (issue-2080).
        if (!me) throw new Answer(412, 'PreconditionFailed', 'Requested API is not supported in application-only context');
        const content = (body as ChatMessage).body?.content;
        if (typeof content !== 'string') throw new Answer(400, 'BadRequest', 'Message body content is required.');
        const created = this.tick();
        // chat-post-messages: the answer names the sender as an aadUser (teamworkUserIdentity).
        const from = { user: { id: me.id, displayName: me.displayName, userIdentityType: 'aadUser' } };
        const message: MemoryChat['messages'][number] = {
          id: String(Date.parse(created)),
          messageType: 'message',
          createdDateTime: created,
          chatId: chat.id,
          from,
          body: { contentType: (body as ChatMessage).body?.contentType ?? 'text', content },
        };
        chat.messages.push(message);
        return { status: 201, body: message };
      }
      case 'GET /chats/{}/messages': {
        const top = Number(params.get('$top') ?? 20);
        if (top > 50) throw new Answer(400, 'BadRequest', '$top may be at most 50 (chat-list-messages).');
        const newestFirst = [...this.readableChat(seg[1]!).messages].sort((a, b) => Number(b.id) - Number(a.id));
        return { status: 200, body: { value: newestFirst.slice(0, top) } };
      }
      case 'GET /chats/{}/messages/{}': {
        const message = this.readableChat(seg[1]!).messages.find((m) => m.id === seg[3]);
        if (!message) throw new Answer(404, 'NotFound', `Message '${seg[3]}' was not found.`);
        return { status: 200, body: message };
      }
      case 'GET /users/{}':
        return { status: 200, body: select(this.userOrThrow(seg[1]!), params) };
    }
    if (meKey === 'GET /users') return { status: 200, body: { value: this.filterUsers(params.get('$filter') ?? '').map((u) => select(u, params)) } };
    throw new Answer(400, 'BadRequest', `the memory Graph does not implement ${method} ${rawPath}`);
  }

  /** The chat, if the signed-in user is in it (Graph answers 403 otherwise for delegated calls). */
  private readableChat(id: string): MemoryChat {
    const chat = this.chatOrThrow(id);
    if (this.signedIn && !chat.members.some((m) => m.userId === this.signedIn!.id)) throw new Answer(403, 'Forbidden', 'Forbidden: the signed-in user is not a member of this chat.');
    return chat;
  }

  private createChat(body: Record<string, unknown>): { status: number; body: unknown } {
    if (body.chatType !== 'group') throw new Answer(400, 'BadRequest', 'The memory Graph creates only group chats.');
    const topic = checkedTopic(body.topic);
    const members = ((body.members as Record<string, unknown>[] | undefined) ?? []).map((m) => this.bound(m));
    if (members.length < 2) throw new Answer(400, 'BadRequest', 'A group chat needs at least two members.');
    // chat-post: "Every user who will participate in the chat, including the user who initiates the create
    // request, must be specified in this list."
    const me = this.me();
    if (!members.some((m) => m.user.id === me.id)) throw new Answer(400, 'BadRequest', 'The user who creates the chat must be in the members list.');
    const chat = this.addChat({ topic, memberIds: [] });
    chat.members = members.map((m) => this.membership(m.user, m.role));
    return { status: 201, body: chatAnswer(chat) };
  }

  private createOrGet(organizer: MemoryUser, body: unknown): { status: number; body: unknown } {
    const b = body as { externalId?: string; subject?: string; startDateTime?: string; endDateTime?: string; participants?: OnlineMeeting['participants'] };
    if (!b.externalId) throw new Answer(400, 'BadRequest', 'externalId is required (onlinemeeting-createorget).');
    const existing = this.meetings.find((m) => m.organizerId === organizer.id && m.externalId === b.externalId);
    if (existing) return { status: 200, body: existing };
    const id = randomUUID();
    const meeting: MemoryMeeting = {
      id,
      organizerId: organizer.id,
      externalId: b.externalId,
      subject: b.subject,
      startDateTime: b.startDateTime,
      endDateTime: b.endDateTime,
      participants: b.participants,
      joinWebUrl: `https://teams.microsoft.com/l/meetup-join/${id}`,
    };
    this.meetings.push(meeting);
    return { status: 201, body: meeting };
  }

  /**
   * user-sendmail.md: 202 with no body. A message without recipients is refused (400 ErrorInvalidRecipients); a
   * delegated caller acting for a mailbox that is not its own (the path's or `message.from`) needs Exchange Send As /
   * Send on Behalf, else 403 ErrorSendAsDenied (outlook-send-mail-from-other-user.md); app-only Mail.Send may send
   * as any mailbox. As test/fakes/graph/mail.ts does over HTTP.
   */
  private sendMail(mailbox: MemoryUser, body: unknown): { status: number } {
    const b = (body ?? {}) as { message?: Message; saveToSentItems?: boolean };
    if (!b.message) throw new Answer(400, 'ErrorInvalidRequest', 'message is required.');
    if (!b.message.toRecipients?.length) throw new Answer(400, 'ErrorInvalidRecipients', "A message can't be sent because it contains no recipients.");
    const caller = this.signedIn;
    if (caller) {
      const owns = (address: string) => [caller.mail, caller.userPrincipalName].some((a) => a?.toLowerCase() === address.toLowerCase());
      const actingFor = [mailbox.id === caller.id ? undefined : (mailbox.mail ?? mailbox.userPrincipalName), b.message.from?.emailAddress?.address ?? undefined];
      for (const address of actingFor) {
        if (address && !owns(address) && !this.sendAsGrants.has(`${caller.id}|${address.toLowerCase()}`)) {
          throw new Answer(403, 'ErrorSendAsDenied', 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.');
        }
      }
    }
    this.outbox.push({ mailboxUserId: mailbox.id, callerUserId: caller?.id, message: b.message, saveToSentItems: b.saveToSentItems !== false });
    return { status: 202 };
  }

  /** The three e-mail filters the app sends (graph-contract §5); anything else is refused, not guessed. */
  private filterUsers(filter: string): MemoryUser[] {
    const literal = (s: string) => s.replace(/''/g, "'").toLowerCase();
    const all = [...this.users.values()];
    let m = /^mail eq '((?:[^']|'')*)'$/.exec(filter);
    if (m) return all.filter((u) => u.mail?.toLowerCase() === literal(m![1]!));
    m = /^proxyAddresses\/any\(x:x eq '((?:[^']|'')*)'\)$/.exec(filter);
    if (m) return all.filter((u) => (u.proxyAddresses ?? []).some((a) => a.toLowerCase() === literal(m![1]!)));
    m = /^otherMails\/any\(x:x eq '((?:[^']|'')*)'\)$/.exec(filter);
    if (m) return all.filter((u) => (u.otherMails ?? []).some((a) => a.toLowerCase() === literal(m![1]!)));
    throw new Answer(400, 'BadRequest', `the memory Graph does not parse this users $filter: ${filter}`);
  }
}

/** A Graph error answer inside the memory Graph, turned into what the real client throws (or an inner answer). */
class Answer extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function checkedTopic(topic: unknown): string {
  if (typeof topic !== 'string') throw new Answer(400, 'BadRequest', 'Invalid value for topic.');
  if (topic.length > maxTopicLength) throw new Answer(400, 'BadRequest', `Topic length exceeds the maximum length of ${maxTopicLength} characters.`);
  if (topic.includes(':')) throw new Answer(400, 'BadRequest', "Topic cannot contain the character ':'.");
  return topic;
}

/** A chat as Graph answers it: the entity's own properties, not its members or messages. */
function chatAnswer(chat: MemoryChat): Omit<Chat, 'members' | 'messages'> {
  const { members: _m, messages: _x, ...rest } = chat;
  return rest;
}

/** `$select` as Graph applies it: only the named properties (plus id). */
function select<T extends { id: string }>(entity: T, params: URLSearchParams): Partial<T> {
  const names = params.get('$select')?.split(',');
  if (!names) return entity;
  return Object.fromEntries(Object.entries(entity).filter(([k]) => k === 'id' || names.includes(k))) as Partial<T>;
}
