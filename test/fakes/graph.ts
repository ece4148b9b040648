// A fake Microsoft Graph v1.0 over HTTPS for tests: stateful in memory, Graph's wire format, and every request
// checked against Microsoft's schema by ../shared/contracts/graph/check.mjs — a violation is answered
// 400 `ContractViolation` and kept in `violations`, so `assertNoViolations()` fails the test that sent it.
//
//   const graph = new FakeGraph();
//   const serviceUser = graph.addUser({ displayName: 'Bridge Service', mail: 'bridge@contoso.com' });
//   const { baseUrl, close } = await graph.start();          // https://127.0.0.1:PORT/v1.0
//   const token = graph.delegatedToken(serviceUser);           // what the fake Entra would issue
//   ... exercise the app against baseUrl ...
//   graph.assertNoViolations();
//   await close();
//
// Areas live in ./graph/: chats (+ members, messages), users, meetings, bookings, mail, subscriptions; wire.ts
// holds the error shape and path helpers. The router, auth, contract check, $batch, fault injection and the
// request log are here.
import { AssertionError } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody, startServer, type StartedServer } from '../support/http.js';
import { graphCheckerUrl } from '../support/repoRoot.js';
import { bookingRoutes } from './graph/bookings.js';
import { chatRoutes } from './graph/chats.js';
import { mailRoutes } from './graph/mail.js';
import { FakeMailIn, mailInRoutes } from './graph/mailIn.js';
import { meetingRoutes } from './graph/meetings.js';
import {
  defaultLicense,
  type BookingBusinessSeed,
  type FakeBookingBusiness,
  type FakeChat,
  type FakeChatMessage,
  type FakeOnlineMeeting,
  type FakeSubscription,
  type FakeUser,
  type SentMail,
  type UserSeed,
  weekdayHours,
} from './graph/state.js';
import { changeNotificationBody, lifecycleNotificationBody, subscriptionRoutes } from './graph/subscriptions.js';
import { userRoutes } from './graph/users.js';
import {
  defaultErrorCode,
  errorBody,
  GraphError,
  matchRoute,
  pathMatches,
  pathSegments,
  type GraphCall,
  type GraphResult,
  type PathPattern,
} from './graph/wire.js';
import { makeTestToken, readTestToken, tokenPermissions, type TestTokenClaims } from './tokens.js';

export { GraphError, type GraphCall, type GraphResult, type PathPattern } from './graph/wire.js';
export * from './graph/state.js';
export type { FakeMailMessage, MessageSeed } from './graph/mailIn.js';

export interface Route {
  method: string;
  /** `/chats/{chatId}/members`: literal segments and `{named}` parameters, relative to /v1.0. */
  pattern: string;
  /** With `enforceScopes`, the token needs one of these (delegated scope or application role). */
  permissions?: readonly string[];
  handle(graph: FakeGraph, call: GraphCall): GraphResult | Promise<GraphResult>;
}

export interface FakeGraphOptions {
  /** Tenant of seeded users unless they name another (default a fixed test tenant id). */
  tenantId?: string;
  /** Domain for default user principal names (default `contoso.onmicrosoft.com`). */
  domain?: string;
  /** Answer 403 when the token lacks the route's least-privileged permission or a higher one (default false). */
  enforceScopes?: boolean;
  /** `$batch` answers in reverse order unless `'sent'` (json-batching: responses may come in any order). */
  batchResponseOrder?: 'reversed' | 'sent';
  /** Member adds allowed per chat per minute (throttling-teams: 4). */
  memberAddsPerMinute?: number;
  /** POST the validation handshake to notification URLs on subscription create (default true). */
  validateNotificationUrls?: boolean;
  /** Clock for rate windows, timestamps and Bookings lead times (default Date.now). */
  now?: () => number;
}

export interface FailureRule {
  method?: string;
  pathPattern?: PathPattern;
  /** 429, 503, 500, 504… */
  status: number;
  /** Sent as the `Retry-After` header (seconds). */
  retryAfterSeconds?: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Error code in the body (default per status, e.g. TooManyRequests, serviceNotAvailable). */
  code?: string;
}

export interface RequestFilter {
  method?: string;
  pathPattern?: PathPattern;
  times?: number;
}

export interface RecordedGraphRequest {
  method: string;
  /** Decoded path without /v1.0 and query, e.g. `/chats/19:abc@thread.v2/messages`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, the raw text for other content types, or undefined. */
  body: unknown;
  /** Lower-cased request headers without `authorization`. */
  headers: Record<string, string>;
  /** Response status; 0 while in flight or when the connection was dropped. */
  status: number;
  /** Error code answered, if any. */
  errorCode?: string;
  dropped?: boolean;
  /** No answer was ever sent (see `hang`). */
  hung?: boolean;
  tokenClaims?: TestTokenClaims;
  requestId: string;
  /** For requests inside a `$batch`: the outer request's id and the inner request's `id`. */
  batch?: { requestId: string; id: string };
}

export interface ContractViolation {
  method: string;
  url: string;
  errors: string[];
  requestId: string;
}

interface GraphChecker {
  checkGraphRequest(request: { method: string; url: string; body?: unknown; headers?: Record<string, string | string[] | undefined> }): {
    ok: boolean;
    errors: string[];
  };
}

let checkerPromise: Promise<GraphChecker> | undefined;
function loadChecker(): Promise<GraphChecker> {
  checkerPromise ??= import(graphCheckerUrl()) as Promise<GraphChecker>;
  return checkerPromise;
}

/** A fixed tenant so tokens minted before the fake starts line up with seeded users. */
export const DEFAULT_TENANT_ID = 'a1b2c3d4-0000-4000-8000-00000000aaaa';

/** json-batching: "JSON batch requests are currently limited to 20 individual requests." */
const MAX_BATCH_REQUESTS = 20;

const ROUTES: Route[] = [
  ...chatRoutes(),
  ...userRoutes(),
  ...meetingRoutes(),
  ...bookingRoutes(),
  ...mailRoutes(),
  ...mailInRoutes(),
  ...subscriptionRoutes(),
];

export class FakeGraph {
  readonly tenantId: string;
  readonly options: Required<Omit<FakeGraphOptions, 'tenantId' | 'now'>>;
  readonly users = new Map<string, FakeUser>();
  readonly chats = new Map<string, FakeChat>();
  /** Keyed `${tenantId}|${organizerId}|${externalId}` (createOrGet's key). */
  readonly meetings = new Map<string, FakeOnlineMeeting>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  /** Keyed by lower-cased business id (an SMTP-like address). */
  readonly bookingBusinesses = new Map<string, FakeBookingBusiness>();
  /** Every accepted sendMail, in order. */
  readonly outbox: SentMail[] = [];
  /** Mailboxes read by mail → Jira: folders, delivered messages, Full Access grants (./graph/mailIn.ts). */
  readonly mailIn: FakeMailIn = new FakeMailIn(this);
  /** Every request, in arrival order; `$batch` inner requests follow their outer request. */
  readonly requests: RecordedGraphRequest[] = [];
  readonly violations: ContractViolation[] = [];

  private server: StartedServer | undefined;
  private readonly clock: () => number;
  private readonly failures: Array<FailureRule & { remaining: number }> = [];
  private readonly drops: Array<RequestFilter & { remaining: number }> = [];
  private readonly hangs: Array<RequestFilter & { remaining: number; afterProcessing: boolean }> = [];
  private latency: { ms: number; filter: RequestFilter } | undefined;
  private readonly memberAdds = new Map<string, number[]>();
  private readonly memberAddFailures = new Map<string, { status: number; code: string; message: string }>();
  private readonly sendAsGrants = new Set<string>();

  constructor(options: FakeGraphOptions = {}) {
    this.tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.clock = options.now ?? Date.now;
    this.options = {
      domain: options.domain ?? 'contoso.onmicrosoft.com',
      enforceScopes: options.enforceScopes ?? false,
      batchResponseOrder: options.batchResponseOrder ?? 'reversed',
      memberAddsPerMinute: options.memberAddsPerMinute ?? 4,
      validateNotificationUrls: options.validateNotificationUrls ?? true,
    };
  }

  // ---- lifecycle ----

  /** Starts the HTTPS server on 127.0.0.1 (test certificate). `baseUrl` ends in `/v1.0`, no trailing slash. */
  async start(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
    await loadChecker(); // fail at start, not on the first request, if ../shared is missing
    this.server = await startServer((req, res) => this.handle(req, res), { https: true });
    return { baseUrl: this.baseUrl, close: () => this.close() };
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  get baseUrl(): string {
    if (!this.server) throw new Error('FakeGraph is not started: call start() first');
    return `${this.server.origin}/v1.0`;
  }

  now(): number {
    return this.clock();
  }

  // ---- seeding ----

  /** Adds a user; defaults: member of the fake's tenant, enabled, Teams + Bookings licence, userPurpose 'user'. */
  addUser(seed: UserSeed): FakeUser {
    const slug = seed.displayName.toLowerCase().replace(/[^a-z0-9]+/g, '.').replace(/^\.|\.$/g, '') || 'user';
    const upn = seed.userPrincipalName ?? seed.mail ?? `${slug}@${this.options.domain}`;
    const mail = seed.mail === undefined ? upn : seed.mail;
    const [givenName = null, ...rest] = seed.displayName.split(' ');
    const userType = seed.userType ?? 'Member';
    const user: FakeUser = {
      id: seed.id ?? randomUUID(),
      tenantId: seed.tenantId ?? this.tenantId,
      displayName: seed.displayName,
      givenName: seed.givenName ?? givenName,
      surname: seed.surname ?? (rest.join(' ') || null),
      mail,
      userPrincipalName: upn,
      proxyAddresses: seed.proxyAddresses ?? (mail ? [`SMTP:${mail}`] : []),
      otherMails: seed.otherMails ?? [],
      userType,
      accountEnabled: seed.accountEnabled ?? true,
      jobTitle: seed.jobTitle ?? null,
      licenseDetails: seed.licenseDetails ?? (userType === 'Guest' ? [] : [defaultLicense()]),
      mailboxSettings: { userPurpose: 'user', timeZone: 'UTC', ...seed.mailboxSettings },
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A guest (B2B) user: UPN `alias_domain#EXT#@<tenant domain>`, mail = the external address. */
  addGuest(seed: { displayName: string; mail: string; id?: string }): FakeUser {
    const upn = `${seed.mail.replace('@', '_')}#EXT#@${this.options.domain}`;
    return this.addUser({ ...seed, userPrincipalName: upn, userType: 'Guest', otherMails: [seed.mail] });
  }

  /** Finds a user by object id or UPN (case-insensitive), optionally only within one tenant. */
  findUser(key: string, tenantId?: string): FakeUser | undefined {
    const k = key.toLowerCase();
    for (const user of this.users.values()) {
      if (tenantId && user.tenantId !== tenantId) continue;
      if (user.id.toLowerCase() === k || user.userPrincipalName.toLowerCase() === k) return user;
    }
    return undefined;
  }

  usersOfTenant(tenantId: string): FakeUser[] {
    return [...this.users.values()].filter((u) => u.tenantId === tenantId);
  }

  /** Adds a Bookings business. Defaults: Mon–Fri 08:00–17:00 UTC, 30-minute slots, 1 h minimum lead time. */
  addBookingBusiness(seed: BookingBusinessSeed): FakeBookingBusiness {
    const business: FakeBookingBusiness = {
      id: seed.id,
      displayName: seed.displayName ?? seed.id,
      businessHours: seed.businessHours ?? weekdayHours(),
      businessTimeZone: seed.businessTimeZone ?? 'UTC',
      schedulingPolicy: {
        timeSlotInterval: 'PT30M',
        minimumLeadTime: 'PT1H',
        maximumAdvance: 'P365D',
        sendConfirmationsToOwner: true,
        allowStaffSelection: true,
        ...seed.schedulingPolicy,
      },
      services: (seed.services ?? []).map((s) => ({
        id: randomUUID(),
        defaultDuration: 'PT30M',
        maximumAttendeesCount: 1,
        isLocationOnline: true,
        staffMemberIds: [],
        ...s,
      })),
      staffMembers: (seed.staffMembers ?? []).map((s) => ({
        id: randomUUID(),
        role: 'administrator' as const,
        timeZone: 'UTC',
        useBusinessHours: true,
        ...s,
      })),
      appointments: seed.appointments ?? [],
      customers: seed.customers ?? [],
    };
    this.bookingBusinesses.set(business.id.toLowerCase(), business);
    return business;
  }

  /** Lets a (delegated) user send as / on behalf of `mailbox` (Exchange rights in real life). */
  allowSendAs(userIdOrUpn: string, mailbox: string): void {
    const user = this.findUser(userIdOrUpn);
    if (!user) throw new Error(`allowSendAs: no user ${userIdOrUpn}`);
    this.sendAsGrants.add(`${user.id}|${mailbox.toLowerCase()}`);
  }

  maySendAs(userId: string, mailbox: string): boolean {
    return this.sendAsGrants.has(`${userId}|${mailbox.toLowerCase()}`);
  }

  /** Makes every later `POST /chats/{id}/members` for this user fail (default 403 RosterAddMemberBlocked). */
  failMemberAdd(userIdOrUpn: string, failure: { status?: number; code?: string; message?: string } = {}): void {
    const user = this.findUser(userIdOrUpn);
    if (!user) throw new Error(`failMemberAdd: no user ${userIdOrUpn}`);
    this.memberAddFailures.set(user.id, {
      status: failure.status ?? 403,
      code: failure.code ?? 'RosterAddMemberBlocked',
      message: failure.message ?? 'Adding this member to the roster is blocked.',
    });
  }

  /** @internal used by the chats routes */
  memberAddFailure(user: FakeUser) {
    return this.memberAddFailures.get(user.id);
  }

  /** @internal throttling-teams: 4 member adds per minute per chat; the fifth gets 429 with Retry-After. */
  takeMemberAddSlot(chatId: string): void {
    const now = this.now();
    const recent = (this.memberAdds.get(chatId) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.options.memberAddsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil(((recent[0] ?? now) + 60_000 - now) / 1000));
      this.memberAdds.set(chatId, recent);
      throw new GraphError(429, 'TooManyRequests', 'Too many requests to add chat members; retry later.', { 'retry-after': String(retryAfter) });
    }
    recent.push(now);
    this.memberAdds.set(chatId, recent);
  }

  // ---- tokens (what the fake Entra would issue for this tenant) ----

  delegatedToken(user: FakeUser, scopes = 'Chat.Create ChatMessage.Send ChatMember.ReadWrite User.Read User.ReadBasic.All'): string {
    return makeTestToken({ tid: user.tenantId, oid: user.id, scp: scopes });
  }

  appToken(roles: string[] = ['Chat.Create'], tenantId = this.tenantId): string {
    return makeTestToken({ tid: tenantId, roles });
  }

  // ---- fault injection ----

  /** The next matching request(s) fail with `status` (and `Retry-After`). Inner `$batch` requests match too. */
  failNext(rule: FailureRule): void {
    this.failures.push({ ...rule, remaining: rule.times ?? 1 });
  }

  /** Adds latency before matching requests are handled; `delay(0)` removes it. */
  delay(ms: number, filter: RequestFilter = {}): void {
    this.latency = ms > 0 ? { ms, filter } : undefined;
  }

  /**
   * The next matching request is fully processed (state changes happen) but its connection is destroyed instead
   * of answered — a crash or network cut after Graph succeeded, e.g. after `POST /chats` created the chat.
   */
  dropConnectionAfter(filter: RequestFilter): void {
    this.drops.push({ ...filter, remaining: filter.times ?? 1 });
  }

  /**
   * The next matching request never gets an answer: the connection stays open until the client gives up (or the
   * fake closes). With `afterProcessing` (the default) Graph did the work first, e.g. `POST /chats` created the
   * chat, and only the answer is lost; without it the request is held before anything happens. This is what a
   * client deadline must survive: a stalled Graph front end, a lost response on a half-open connection.
   */
  hang(filter: RequestFilter & { afterProcessing?: boolean }): void {
    this.hangs.push({ ...filter, afterProcessing: filter.afterProcessing ?? true, remaining: filter.times ?? 1 });
  }

  // ---- inspection ----

  /** Requests with this method whose path matches (see `PathPattern`), including inner `$batch` requests. */
  requestsTo(method: string, pathPattern?: PathPattern): RecordedGraphRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && pathMatches(pathPattern, r.path));
  }

  count(method: string, pathPattern?: PathPattern): number {
    return this.requestsTo(method, pathPattern).length;
  }

  /** Throws an AssertionError listing every contract violation seen so far. */
  assertNoViolations(): void {
    if (this.violations.length === 0) return;
    const lines = this.violations.map((v) => `${v.method} ${v.url}\n    ${v.errors.join('\n    ')}`);
    throw new AssertionError({ message: `fake Graph saw ${this.violations.length} contract violation(s):\n  ${lines.join('\n  ')}` });
  }

  /** Chats whose topic equals (string) or matches (RegExp). */
  chatsWithTopic(topic: string | RegExp): FakeChat[] {
    return [...this.chats.values()].filter((c) => (typeof topic === 'string' ? c.topic === topic : topic.test(c.topic ?? '')));
  }

  /**
   * A message someone writes in the Teams client (not through the app), stored as Graph returns it: id = creation
   * time in ms, `from.user` the author, mentions as `<at id="n">` in the HTML plus the `mentions` array.
   */
  postMessageAs(
    user: FakeUser,
    chatId: string,
    content: string,
    options: { contentType?: 'html' | 'text'; mentions?: FakeUser[] } = {},
  ): FakeChatMessage {
    const chat = this.chats.get(chatId);
    if (!chat) throw new Error(`postMessageAs: no chat ${chatId}`);
    if (!chat.members.some((m) => m.userId === user.id)) throw new Error(`postMessageAs: ${user.displayName} is not a member of ${chatId}`);
    const mentions = (options.mentions ?? []).map((m, id) => ({
      id,
      mentionText: m.displayName,
      mentioned: { application: null, device: null, conversation: null, tag: null, user: { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id: m.id, displayName: m.displayName, userIdentityType: 'aadUser', tenantId: m.tenantId } },
    }));
    const last = chat.messages.at(-1);
    const createdMs = Math.max(this.now(), last ? Number(last.id) + 1 : 0);
    const message: FakeChatMessage = {
      id: String(createdMs),
      chatId,
      createdDateTime: new Date(createdMs).toISOString(),
      fromUserId: user.id,
      body: { contentType: options.contentType ?? 'html', content },
      request: { body: { contentType: options.contentType ?? 'html', content }, mentions },
    };
    chat.messages.push(message);
    return message;
  }

  // ---- change notifications, sent like Graph does ----

  /** POSTs a change notification for the subscription to its notificationUrl; resolves with the HTTP status. */
  async notify(subscriptionId: string, change: { changeType?: string; resource?: string; resourceData?: Record<string, unknown> } = {}): Promise<number> {
    const s = this.subscriptions.get(subscriptionId);
    if (!s) throw new Error(`notify: no subscription ${subscriptionId}`);
    return this.postJson(s.notificationUrl, changeNotificationBody(s, change, this.now()));
  }

  async sendLifecycleNotification(subscriptionId: string, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'): Promise<number> {
    const s = this.subscriptions.get(subscriptionId);
    if (!s) throw new Error(`sendLifecycleNotification: no subscription ${subscriptionId}`);
    return this.postJson(s.lifecycleNotificationUrl ?? s.notificationUrl, lifecycleNotificationBody(s, event));
  }

  private async postJson(url: string, body: unknown): Promise<number> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    return res.status;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const clientRequestId = headerValue(req.headers['client-request-id']) ?? randomUUID();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const versioned = /^\/v1\.0(\/|$)/.test(url.pathname);
    const path = pathSegments(url.pathname.replace(/^\/v1\.0/, '')).join('/').replace(/^/, '/');
    const headers = lowerCaseHeaders(req.headers);
    const { authorization, ...loggedHeaders } = headers;
    const contentType = headers['content-type'] ?? '';
    let body: unknown = raw.length ? raw.toString('utf8') : undefined;
    let badJson = false;
    if (raw.length && /json/i.test(contentType)) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        badJson = true;
      }
    }
    const record: RecordedGraphRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      headers: loggedHeaders,
      status: 0,
      requestId,
    };
    this.requests.push(record);

    const send = (result: GraphResult) => {
      record.status = result.status;
      const errorCode = (result.body as { error?: { code?: string } } | undefined)?.error?.code;
      if (errorCode) record.errorCode = errorCode;
      const out: Record<string, string> = { 'request-id': requestId, 'client-request-id': clientRequestId, ...result.headers };
      if (result.body !== undefined) out['content-type'] = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
      res.writeHead(result.status, out);
      res.end(result.body === undefined ? undefined : JSON.stringify(result.body));
    };
    const fail = (error: GraphError) =>
      send({ status: error.status, headers: error.headers, body: errorBody(error.code, error.message, requestId, clientRequestId) });

    if (this.latency && filterMatches(this.latency.filter, method, path)) await sleep(this.latency.ms);

    // Authentication first, as Graph does.
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
    const unauthenticated = (message: string) =>
      fail(
        new GraphError(401, 'InvalidAuthenticationToken', message, {
          'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
        }),
      );
    if (!token) return unauthenticated('Access token is empty.');
    const claims = readTestToken(token);
    if (!claims) return unauthenticated('IDX14100: JWT is not well formed, there are no dots (.).');
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return unauthenticated('Lifetime validation failed, the token is expired.');
    record.tokenClaims = claims;

    // The contract: Microsoft's schema plus the documented header rule the checker leaves to us.
    const checker = await loadChecker();
    const errors = checker.checkGraphRequest({ method, url: req.url ?? '/', body: raw.length ? raw : undefined, headers: req.headers }).errors.slice();
    if (!versioned) errors.unshift('url: Graph paths start with /v1.0 (is GRAPH_BASE_URL missing its version?)');
    if (raw.length && ['POST', 'PATCH', 'PUT'].includes(method) && !/json/i.test(contentType) && !/\/sendMail$/i.test(path)) {
      errors.push('headers: a JSON body needs Content-Type: application/json (Graph documents it as required)');
    }
    if (errors.length) {
      this.violations.push({ method, url: req.url ?? '/', errors, requestId });
      return fail(new GraphError(400, 'ContractViolation', errors.join('; ')));
    }
    if (badJson) {
      return fail(new GraphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'));
    }

    const call: GraphCall = { method, path, segments: pathSegments(path), query: url.searchParams, body, headers, claims, params: {} };
    const hang = this.takeMatching(this.hangs, method, path);
    if (hang && !hang.afterProcessing) {
      record.hung = true;
      return;
    }
    const injected = this.takeFailure(method, path);
    const result = injected ?? (await this.dispatch(call, requestId, clientRequestId));

    if (hang) {
      record.hung = true;
      return;
    }
    const drop = this.takeMatching(this.drops, method, path);
    if (drop) {
      record.status = 0;
      record.dropped = true;
      res.socket?.destroy();
      return;
    }
    send(result);
  }

  /** Runs one call (top level or inside $batch) to a result; errors become Graph error results. */
  private async dispatch(call: GraphCall, requestId: string, clientRequestId: string): Promise<GraphResult> {
    try {
      if (call.method === 'POST' && call.path === '/$batch') return await this.batch(call, requestId, clientRequestId);
      const candidates = ROUTES.filter((r) => matchRoute(r.pattern, call.segments));
      const route = candidates.find((r) => r.method === call.method);
      if (!route) {
        throw new GraphError(501, 'NotImplemented', `The fake Graph does not implement ${call.method} ${call.path} (the contract allows it; add a route in test/fakes/graph/).`);
      }
      call.params = matchRoute(route.pattern, call.segments) ?? {};
      if (this.options.enforceScopes && route.permissions) {
        const held = tokenPermissions(call.claims).map((p) => p.toLowerCase());
        if (!route.permissions.some((p) => held.includes(p.toLowerCase()))) {
          throw new GraphError(
            403,
            'Forbidden',
            `Missing scope permissions on the request. API requires one of '${route.permissions.join(', ')}'. Scopes on the request '${tokenPermissions(call.claims).join(', ')}'`,
          );
        }
      }
      return await route.handle(this, call);
    } catch (error) {
      const e = error instanceof GraphError ? error : new GraphError(500, 'generalException', `fake Graph handler failed: ${(error as Error).message}`);
      return { status: e.status, headers: e.headers, body: errorBody(e.code || defaultErrorCode(e.status), e.message, requestId, clientRequestId) };
    }
  }

  private async batch(call: GraphCall, outerRequestId: string, clientRequestId: string): Promise<GraphResult> {
    const requests = ((call.body ?? {}) as { requests?: unknown }).requests;
    if (!Array.isArray(requests) || requests.length === 0) throw new GraphError(400, 'BadRequest', 'Invalid batch payload format.');
    if (requests.length > MAX_BATCH_REQUESTS) {
      throw new GraphError(400, 'BadRequest', `Number of batch requests exceeds the limit of ${MAX_BATCH_REQUESTS}.`);
    }
    const ids = new Set<string>();
    for (const r of requests as Array<{ id?: unknown }>) {
      if (ids.has(String(r.id))) throw new GraphError(400, 'BadRequest', `Batch request id '${String(r.id)}' is duplicated.`);
      ids.add(String(r.id));
    }
    const statusById = new Map<string, number>();
    const responses: Array<{ id: string; status: number; headers: Record<string, string>; body?: unknown }> = [];
    for (const r of requests as Array<{ id: string; method: string; url: string; headers?: Record<string, string>; body?: unknown; dependsOn?: string[] }>) {
      const innerRequestId = randomUUID();
      const innerUrl = new URL(r.url, 'https://127.0.0.1');
      const method = r.method.toUpperCase();
      const path = pathSegments(innerUrl.pathname).join('/').replace(/^/, '/');
      const headers = lowerCaseHeaders(r.headers ?? {});
      const record: RecordedGraphRequest = {
        method,
        path,
        query: Object.fromEntries(innerUrl.searchParams),
        body: r.body,
        headers,
        status: 0,
        requestId: innerRequestId,
        tokenClaims: call.claims,
        batch: { requestId: outerRequestId, id: String(r.id) },
      };
      this.requests.push(record);
      let result: GraphResult;
      const failedDependency = (r.dependsOn ?? []).find((d) => (statusById.get(d) ?? 0) >= 400);
      if (failedDependency) {
        result = { status: 424, body: errorBody('FailedDependency', `Dependent request ${failedDependency} failed.`, innerRequestId, clientRequestId) };
      } else {
        const inner: GraphCall = { method, path, segments: pathSegments(path), query: innerUrl.searchParams, body: r.body, headers, claims: call.claims, params: {} };
        result = this.takeFailure(method, path, innerRequestId, clientRequestId) ?? (await this.dispatch(inner, innerRequestId, clientRequestId));
      }
      record.status = result.status;
      const code = (result.body as { error?: { code?: string } } | undefined)?.error?.code;
      if (code) record.errorCode = code;
      statusById.set(String(r.id), result.status);
      responses.push({
        id: String(r.id),
        status: result.status,
        headers: { ...(result.body !== undefined ? { 'content-type': 'application/json' } : {}), ...result.headers },
        ...(result.body !== undefined ? { body: result.body } : {}),
      });
    }
    if (this.options.batchResponseOrder === 'reversed') responses.reverse();
    return { status: 200, body: { responses } };
  }

  private takeFailure(method: string, path: string, requestId: string = randomUUID(), clientRequestId: string = randomUUID()): GraphResult | undefined {
    const rule = this.takeMatching(this.failures, method, path);
    if (!rule) return undefined;
    const code = rule.code ?? defaultErrorCode(rule.status);
    const message = rule.status === 429 ? 'Too many requests.' : `Injected failure (${rule.status}).`;
    return {
      status: rule.status,
      headers: rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : {},
      body: errorBody(code, message, requestId, clientRequestId),
    };
  }

  private takeMatching<T extends RequestFilter & { remaining: number }>(rules: T[], method: string, path: string): T | undefined {
    const index = rules.findIndex((r) => filterMatches(r, method, path));
    if (index < 0) return undefined;
    const rule = rules[index] as T;
    rule.remaining -= 1;
    if (rule.remaining <= 0) rules.splice(index, 1);
    return rule;
  }
}

function filterMatches(filter: RequestFilter, method: string, path: string): boolean {
  return (!filter.method || filter.method.toUpperCase() === method) && pathMatches(filter.pathPattern, path);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function lowerCaseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
