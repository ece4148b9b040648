// A fake Jira Cloud (platform REST v3 + Jira Service Management servicedeskapi) over HTTP on 127.0.0.1, answering
// the calls `jira.js` 6 makes (paths from node_modules/jira.js/dist/cloud/api/*.js and serviceDesk/api/*.js):
//
//   GET  /rest/api/3/issue/{idOrKey}              PUT /rest/api/3/issue/{idOrKey}      PUT …/assignee
//   GET|POST /rest/api/3/issue/{idOrKey}/comment  GET …/comment/{id}  POST /rest/api/2/issue/{idOrKey}/comment
//   GET|POST /rest/api/3/issue/{idOrKey}/remotelink
//   GET  /rest/api/3/user?accountId=              GET /rest/api/3/user/search?query=  GET /rest/api/3/myself
//   GET  /rest/api/3/field
//   GET  /rest/servicedeskapi/request/{idOrKey}   GET|POST …/participant              GET|POST …/comment
//   POST /rest/servicedeskapi/request             POST /rest/servicedeskapi/customer
//
// Bodies follow Atlassian's REST v3 / JSM reference shapes (and pass jira.js's zod schemas; the unit test runs the
// client with `onSchemaMismatch: 'throw'`). Auth is Basic `email:apiToken` as for Jira Cloud API tokens.
//
//   const jira = new FakeJira();
//   jira.addIssueFromWebhookFixture('issue_created.story.json');
//   const incident = jira.addJsmIssue({ key: 'ITSM-1', summary: 'Printer on fire', participants: [alice] });
//   const { baseUrl, close } = await jira.start();   // createCloudClient({ host: baseUrl, auth: { basic: jira.credentials } })
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody, startServer, type StartedServer } from '../support/http.js';
import { jiraFixturesDir } from '../support/repoRoot.js';

export interface FakeJiraUser {
  accountId: string;
  displayName: string;
  /** Null when the user has none (e.g. app users). */
  emailAddress: string | null;
  /** Jira Cloud hides e-mail addresses per the user's profile visibility; hidden ones are omitted from bodies. */
  emailVisible: boolean;
  active: boolean;
  accountType: 'atlassian' | 'app' | 'customer';
  timeZone: string;
}

export type JiraUserSeed = Partial<FakeJiraUser> & { displayName: string };

export interface FakeJiraComment {
  id: string;
  authorAccountId: string;
  /** ADF document for comments added through the platform API; JSM comments are plain text. */
  body: unknown;
  /** JSM: false for internal comments (`public: false`), true for comments the customer sees. */
  jsdPublic: boolean;
  via: 'platform' | 'servicedesk';
  created: number;
  /** Entity properties sent with a platform comment (`sd.public.comment`, …). */
  properties?: Array<{ key: string; value: unknown }>;
}

export interface FakeRemoteLink {
  id: number;
  globalId: string | null;
  application: Record<string, unknown> | null;
  relationship: string | null;
  object: Record<string, unknown>;
}

/** Issue types the fake's projects offer (a company-managed software project's defaults plus Incident). */
const FAKE_ISSUE_TYPES = ['Task', 'Bug', 'Story', 'Epic', 'Incident'];

export interface FakeJiraIssue {
  id: string;
  key: string;
  /** REST v3 `fields` (the fake keeps unknown fields as given). */
  fields: Record<string, unknown>;
  comments: FakeJiraComment[];
  remoteLinks: FakeRemoteLink[];
  /** JSM: request participants (account ids); also shown in the participants custom field. */
  participants: string[];
  /** Watchers (account ids), read through GET …/watchers. */
  watchers?: string[];
  /** JSM: the request type (when the issue is a customer request). */
  requestType?: JsmRequestType;
  /** Files uploaded through POST …/attachments. */
  attachments?: Array<{ id: string; filename: string; size: number; content: Buffer }>;
  /** Site origin the seed came from (`https://x.atlassian.net`); rewritten to the fake's origin in responses. */
  sourceOrigin?: string;
}

export interface JsmRequestType {
  id: string;
  name: string;
  serviceDeskId: string;
  portalId: string;
  issueTypeId: string;
}

export interface FakeJiraOptions {
  /** The API user's Basic-auth credentials (default bridge@example.com / a random token). */
  email?: string;
  apiToken?: string;
  /**
   * Custom field ids (site-specific in real Jira: discover them by name through GET /rest/api/3/field).
   * Defaults: Request Type `customfield_10010` (the usual JSM Cloud id), Request participants `customfield_10026`,
   * Responders `customfield_10041`.
   */
  fieldIds?: Partial<typeof DEFAULT_FIELD_IDS>;
}

export interface RecordedJiraRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** Account of the authenticated caller, if authentication succeeded. */
  accountId?: string;
  dropped?: boolean;
  /** Never answered (see `hangNext`). */
  hung?: boolean;
}

export const DEFAULT_FIELD_IDS = {
  requestType: 'customfield_10010',
  requestParticipants: 'customfield_10026',
  responders: 'customfield_10041',
} as const;

/** Jira Cloud's default priority scheme. */
export const JIRA_PRIORITIES = [
  { id: '1', name: 'Highest', icon: 'highest' },
  { id: '2', name: 'High', icon: 'high' },
  { id: '3', name: 'Medium', icon: 'medium' },
  { id: '4', name: 'Low', icon: 'low' },
  { id: '5', name: 'Lowest', icon: 'lowest' },
] as const;

/** Project permission keys the fake knows (GET /rest/api/3/permissions; SERVICEDESK_AGENT on JSM sites). */
const KNOWN_PERMISSIONS = new Set([
  'ADD_COMMENTS', 'ADMINISTER_PROJECTS', 'ASSIGNABLE_USER', 'ASSIGN_ISSUES', 'BROWSE_PROJECTS', 'CLOSE_ISSUES', 'CREATE_ISSUES',
  'DELETE_ISSUES', 'EDIT_ALL_COMMENTS', 'EDIT_ISSUES', 'EDIT_OWN_COMMENTS', 'LINK_ISSUES', 'MANAGE_WATCHERS', 'RESOLVE_ISSUES',
  'SCHEDULE_ISSUES', 'SERVICEDESK_AGENT', 'TRANSITION_ISSUES', 'WORK_ON_ISSUES',
]);

/** The 404 body Jira Cloud answers for a missing or invisible issue. */
export const ISSUE_NOT_FOUND = { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} };

class JiraError extends Error {
  constructor(
    readonly status: number,
    readonly body: { errorMessages: string[]; errors: Record<string, string> },
    readonly headers: Record<string, string> = {},
  ) {
    super(body.errorMessages[0] ?? Object.values(body.errors)[0] ?? `HTTP ${status}`);
  }
}

const bad = (errors: Record<string, string>, messages: string[] = []) => new JiraError(400, { errorMessages: messages, errors });

/** Wraps plain text as an Atlassian Document Format document (one paragraph per line). */
export function adfText(text: string): { type: 'doc'; version: 1; content: Array<Record<string, unknown>> } {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] })),
  };
}

/** Concatenated text of an ADF document (for assertions). */
export function adfToText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (!node || typeof node !== 'object') return '';
  const n = node as { type?: string; text?: string; content?: unknown[] };
  if (n.type === 'text') return n.text ?? '';
  const inner = (n.content ?? []).map(adfToText).join('');
  return n.type === 'paragraph' || n.type === 'heading' ? `${inner}\n` : inner;
}

// ADF node types the Jira editor accepts in comments (developer.atlassian.com/cloud/jira/platform/apis/document/structure).
const ADF_NODES = new Set([
  'doc', 'paragraph', 'text', 'heading', 'bulletList', 'orderedList', 'listItem', 'hardBreak', 'mention', 'emoji',
  'inlineCard', 'blockCard', 'codeBlock', 'blockquote', 'rule', 'panel', 'table', 'tableRow', 'tableHeader',
  'tableCell', 'mediaSingle', 'mediaGroup', 'media', 'status', 'date', 'expand', 'nestedExpand', 'taskList', 'taskItem',
]);

/** Jira answers an invalid ADF comment body 400 `{"errors":{"comment":"INVALID_INPUT"}}`. */
function validAdf(node: unknown, root = true): boolean {
  if (!node || typeof node !== 'object') return false;
  const n = node as { type?: unknown; version?: unknown; content?: unknown; text?: unknown };
  if (typeof n.type !== 'string' || !ADF_NODES.has(n.type)) return false;
  if (root && (n.type !== 'doc' || n.version !== 1 || !Array.isArray(n.content))) return false;
  if (n.type === 'text' && (typeof n.text !== 'string' || n.text === '')) return false;
  if (n.content !== undefined && (!Array.isArray(n.content) || !n.content.every((c) => validAdf(c, false)))) return false;
  return true;
}

/**
 * Converts a real webhook payload's `issue` (../shared/fixtures/jira/<name>) into a REST v3 issue body: a string
 * `description` (webhooks carry wiki markup) becomes ADF as v3 returns it, `self` points at `/rest/api/3/issue/{id}`.
 * Also returns the users the payload mentions, so they can be seeded.
 */
export function issueFromWebhookFixture(name: string): { issue: { id: string; key: string; self: string; fields: Record<string, unknown> }; users: JiraUserSeed[] } {
  const payload = JSON.parse(readFileSync(path.join(jiraFixturesDir(), name), 'utf8')) as {
    issue: { id: string; key: string; self: string; fields: Record<string, unknown> };
    user?: unknown;
    comment?: { author?: unknown };
  };
  const { issue } = payload;
  const origin = new URL(issue.self).origin;
  const fields: Record<string, unknown> = { ...issue.fields };
  if (typeof fields.description === 'string') fields.description = adfText(fields.description);
  const users = new Map<string, JiraUserSeed>();
  const collect = (u: unknown) => {
    const user = u as { accountId?: string; displayName?: string; emailAddress?: string; active?: boolean; timeZone?: string } | null;
    if (!user?.accountId || users.has(user.accountId)) return;
    users.set(user.accountId, {
      accountId: decodeURIComponent(user.accountId),
      displayName: user.displayName ?? user.accountId,
      emailAddress: user.emailAddress ?? null,
      emailVisible: Boolean(user.emailAddress),
      active: user.active ?? true,
      ...(user.timeZone ? { timeZone: user.timeZone } : {}),
    });
  };
  [fields.assignee, fields.reporter, fields.creator, payload.user, payload.comment?.author].forEach(collect);
  return { issue: { id: issue.id, key: issue.key, self: `${origin}/rest/api/3/issue/${issue.id}`, fields }, users: [...users.values()] };
}

export interface JsmIssueSeed {
  key: string;
  summary: string;
  /** `[System] Incident` (default) or `[System] Service request`. */
  kind?: 'incident' | 'serviceRequest';
  /** Priority name (default High). */
  priority?: string;
  description?: string;
  reporter?: FakeJiraUser;
  assignee?: FakeJiraUser | null;
  participants?: FakeJiraUser[];
  /** Incident responders (users and teams). */
  responders?: Array<FakeJiraUser | { teamId: string; name: string }>;
  requestType?: Partial<JsmRequestType>;
  status?: { name: string; category: 'new' | 'indeterminate' | 'done' };
}

export class FakeJira {
  readonly users = new Map<string, FakeJiraUser>();
  readonly issues = new Map<string, FakeJiraIssue>();
  readonly requests: RecordedJiraRequest[] = [];
  readonly credentials: { email: string; apiToken: string };
  /** The account the API token belongs to (the bridge's Jira user). */
  readonly apiUser: FakeJiraUser;
  readonly fieldIds: typeof DEFAULT_FIELD_IDS;
  private server: StartedServer | undefined;
  private nextIssueId = 20000;
  private nextCommentId = 30000;
  private nextLinkId = 10000;
  private readonly failures: Array<{ method?: string; pathPattern?: RegExp; status: number; retryAfterSeconds?: number; remaining: number }> = [];
  private readonly drops: Array<{ method?: string; pathPattern?: RegExp; remaining: number }> = [];
  private readonly hangs: Array<{ method?: string; pathPattern?: RegExp; remaining: number }> = [];
  private latencyMs = 0;
  /** Project permissions per account: accountId → project key → permission keys (see `grant`). */
  readonly grants = new Map<string, Map<string, Set<string>>>();
  /**
   * Whether the API user holds Administer Projects (on every project): "Get users with permissions" requires it
   * (or Administer Jira) of the caller (api-group-user-search, GET /rest/api/3/user/permission/search).
   */
  apiUserAdministersProjects = true;
  /** Whether the API user is a Jira administrator: JSM's "Create customer" requires it (see `createCustomer`). */
  apiUserIsJiraAdmin = true;
  /** JSM service desks (see `addServiceDesk`): id → project and request types. */
  readonly serviceDesks = new Map<string, { projectKey: string; requestTypes: JsmRequestType[] }>();

  constructor(options: FakeJiraOptions = {}) {
    this.credentials = { email: options.email ?? 'bridge@example.com', apiToken: options.apiToken ?? `test-token-${randomUUID()}` };
    this.fieldIds = { ...DEFAULT_FIELD_IDS, ...options.fieldIds };
    this.apiUser = this.addUser({ displayName: 'Jira Bridge', emailAddress: this.credentials.email });
  }

  async start(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
    this.server = await startServer((req, res) => this.handle(req, res));
    return { baseUrl: this.baseUrl, close: () => this.close() };
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** `http://127.0.0.1:PORT`, the site URL (`host` for jira.js). */
  get baseUrl(): string {
    if (!this.server) throw new Error('FakeJira is not started: call start() first');
    return this.server.origin;
  }

  // ---- seeding ----

  addUser(seed: JiraUserSeed): FakeJiraUser {
    const user: FakeJiraUser = {
      accountId: seed.accountId ?? `712020:${randomUUID()}`,
      displayName: seed.displayName,
      emailAddress: seed.emailAddress ?? null,
      emailVisible: seed.emailVisible ?? true,
      active: seed.active ?? true,
      accountType: seed.accountType ?? 'atlassian',
      timeZone: seed.timeZone ?? 'Etc/UTC',
    };
    this.users.set(user.accountId, user);
    return user;
  }

  /** Adds a REST v3 issue body (`key`, `fields`; `id` optional). */
  addIssue(issue: { key: string; id?: string; self?: string; fields: Record<string, unknown> }, extra: Partial<FakeJiraIssue> = {}): FakeJiraIssue {
    const stored: FakeJiraIssue = {
      id: issue.id ?? String(this.nextIssueId++),
      key: issue.key,
      fields: { ...issue.fields },
      comments: [],
      remoteLinks: [],
      participants: [],
      ...(issue.self ? { sourceOrigin: new URL(issue.self).origin } : {}),
      ...extra,
    };
    this.issues.set(stored.key.toUpperCase(), stored);
    return stored;
  }

  /** Seeds the issue of a real webhook payload in ../shared/fixtures/jira and the users it mentions. */
  addIssueFromWebhookFixture(name: string): FakeJiraIssue {
    const { issue, users } = issueFromWebhookFixture(name);
    for (const u of users) if (!this.users.has(u.accountId ?? '')) this.addUser(u);
    return this.addIssue(issue);
  }

  /**
   * Seeds a Jira Service Management incident (or service request) as JSM Cloud returns it from GET issue: issue
   * type `[System] Incident`, a `service_desk` project, the Request Type field (`customfield_10010` shape:
   * `_links`, `requestType`, `currentStatus` — JSM REST reference, CustomerRequest / RequestType), request
   * participants (array of users) and responders. Responder entries carry the identity ARI
   * (`ari:cloud:identity::user/<accountId>` / `::team/<id>`) as the JSM Incidents REST API returns responders
   * (developer.atlassian.com/cloud/incidents/rest/api-group-responders); the other keys (`type`, `id`, `name`)
   * are this fake's reading of the issue field and UNVERIFIED against a live site.
   */
  addJsmIssue(seed: JsmIssueSeed): FakeJiraIssue {
    const kind = seed.kind ?? 'incident';
    const projectKey = seed.key.split('-')[0] ?? 'ITSM';
    const reporter = seed.reporter ?? this.addUser({ displayName: 'Casey Customer', emailAddress: 'casey@customer.example', accountType: 'customer' });
    const issueType =
      kind === 'incident'
        ? { id: '10004', name: '[System] Incident', description: 'For system outages or incidents. Created by Jira Service Management.' }
        : { id: '10005', name: '[System] Service request', description: 'Created by Jira Service Management.' };
    const requestType: JsmRequestType = {
      id: kind === 'incident' ? '10' : '11',
      name: kind === 'incident' ? 'Report a system problem' : 'Get IT help',
      serviceDeskId: '1',
      portalId: '1',
      issueTypeId: issueType.id,
      ...seed.requestType,
    };
    const status = seed.status ?? { name: kind === 'incident' ? 'Open' : 'Waiting for support', category: 'new' };
    const priority = JIRA_PRIORITIES.find((p) => p.name === (seed.priority ?? 'High')) ?? JIRA_PRIORITIES[1];
    const now = Date.now();
    const participants = seed.participants ?? [];
    const fields: Record<string, unknown> = {
      summary: seed.summary,
      issuetype: { ...issueType, subtask: false, hierarchyLevel: 0, iconUrl: '/rest/api/2/universal_avatar/view/type/issuetype/avatar/10553?size=medium' },
      project: { id: '10001', key: projectKey, name: `${projectKey} Service Desk`, projectTypeKey: 'service_desk', simplified: false },
      priority: { id: priority.id, name: priority.name, iconUrl: `/images/icons/priorities/${priority.icon}.svg` },
      status: { id: '10001', name: status.name, description: '', statusCategory: statusCategory(status.category) },
      description: seed.description ? adfText(seed.description) : null,
      reporter: { accountId: reporter.accountId },
      creator: { accountId: reporter.accountId },
      assignee: seed.assignee ? { accountId: seed.assignee.accountId } : null,
      created: jiraTime(now),
      updated: jiraTime(now),
      labels: [],
      [this.fieldIds.requestParticipants]: participants.map((p) => ({ accountId: p.accountId })),
      [this.fieldIds.responders]: (seed.responders ?? []).map((r) =>
        'teamId' in r
          ? { ari: `ari:cloud:identity::team/${r.teamId}`, type: 'team', id: r.teamId, name: r.name }
          : { ari: `ari:cloud:identity::user/${r.accountId}`, type: 'user', id: r.accountId, name: r.displayName },
      ),
    };
    return this.addIssue({ key: seed.key, fields }, { participants: participants.map((p) => p.accountId), requestType });
  }

  /** Seeds a JSM service desk of `projectKey` with its request types (ids as GET /rest/servicedeskapi/servicedesk lists them). */
  addServiceDesk(seed: { id: string; projectKey: string; requestTypes: Array<{ id: string; name: string }> }): void {
    this.serviceDesks.set(seed.id, {
      projectKey: seed.projectKey,
      requestTypes: seed.requestTypes.map((rt) => ({ id: rt.id, name: rt.name, serviceDeskId: seed.id, portalId: seed.id, issueTypeId: '10005' })),
    });
  }

  /** Grants project permissions (keys as GET /rest/api/3/permissions names them) to an account on a project. */
  grant(user: FakeJiraUser, projectKey: string, ...permissions: string[]): void {
    for (const p of permissions) if (!KNOWN_PERMISSIONS.has(p)) throw new Error(`grant: unknown Jira permission ${p}`);
    const byProject = this.grants.get(user.accountId) ?? new Map<string, Set<string>>();
    const set = byProject.get(projectKey) ?? new Set<string>();
    for (const p of permissions) set.add(p);
    byProject.set(projectKey, set);
    this.grants.set(user.accountId, byProject);
  }

  issue(idOrKey: string): FakeJiraIssue | undefined {
    const k = idOrKey.toUpperCase();
    return this.issues.get(k) ?? [...this.issues.values()].find((i) => i.id === idOrKey);
  }

  /** Removes an issue (later reads get Jira's 404). */
  deleteIssue(idOrKey: string): void {
    const issue = this.issue(idOrKey);
    if (issue) this.issues.delete(issue.key.toUpperCase());
  }

  // ---- fault injection and inspection ----

  failNext(rule: { method?: string; pathPattern?: RegExp; status: number; retryAfterSeconds?: number; times?: number }): void {
    this.failures.push({ ...rule, remaining: rule.times ?? 1 });
  }

  /** Forgets every pending injected failure (the outage is over). */
  clearFailures(): void {
    this.failures.length = 0;
  }

  delay(ms: number): void {
    this.latencyMs = ms;
  }

  /** The next matching request is never answered (held open until the client gives up or the fake closes). */
  hangNext(filter: { method?: string; pathPattern?: RegExp; times?: number }): void {
    this.hangs.push({ ...filter, remaining: filter.times ?? 1 });
  }

  /** Processes the next matching request, then destroys its connection instead of answering. */
  dropConnectionAfter(filter: { method?: string; pathPattern?: RegExp; times?: number }): void {
    this.drops.push({ ...filter, remaining: filter.times ?? 1 });
  }

  requestsTo(method: string, pathPattern?: RegExp): RecordedJiraRequest[] {
    return this.requests.filter((r) => r.method === method && (!pathPattern || pathPattern.test(r.path)));
  }

  count(method: string, pathPattern?: RegExp): number {
    return this.requestsTo(method, pathPattern).length;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    let body: unknown;
    let badJson = false;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      badJson = true;
    }
    const record: RecordedJiraRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, status: 0 };
    this.requests.push(record);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const out: Record<string, string> = { 'x-arequestid': randomUUID(), ...headers };
      if (payload !== undefined) out['content-type'] = 'application/json;charset=UTF-8';
      res.writeHead(status, out);
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    if (this.latencyMs) await sleep(this.latencyMs);

    const caller = this.authenticate(req.headers.authorization);
    if (!caller) {
      // Jira Cloud: bad or missing Basic credentials on a REST call.
      return send(401, { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} }, { 'www-authenticate': 'Basic realm="protected-area"' });
    }
    record.accountId = caller.accountId;
    const matches = (r: { method?: string; pathPattern?: RegExp }) => (!r.method || r.method === method) && (!r.pathPattern || r.pathPattern.test(url.pathname));
    const hangIndex = this.hangs.findIndex(matches);
    const hang = this.hangs[hangIndex];
    if (hang) {
      hang.remaining -= 1;
      if (hang.remaining <= 0) this.hangs.splice(hangIndex, 1);
      record.hung = true;
      return;
    }
    const failureIndex = this.failures.findIndex(matches);
    const failure = this.failures[failureIndex];
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failures.splice(failureIndex, 1);
      const retry: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      return send(failure.status, { errorMessages: [failure.status === 429 ? 'Rate limit exceeded.' : `Injected failure (${failure.status}).`], errors: {} }, retry);
    }
    if (method === 'POST' && /^\/rest\/api\/3\/issue\/[^/]+\/attachments$/.test(url.pathname)) {
      try {
        const r = this.attach(decodeURIComponent(url.pathname.split('/')[5] ?? ''), req.headers, raw, caller);
        return send(r.status, r.body);
      } catch (error) {
        if (error instanceof JiraError) return send(error.status, error.body, error.headers);
        throw error;
      }
    }
    if (badJson) return send(400, { errorMessages: ['Unexpected character in the request body.'], errors: {} });

    let result: { status: number; body?: unknown };
    try {
      result = this.route(method, url, body, caller);
    } catch (error) {
      if (error instanceof JiraError) return send(error.status, error.body, error.headers);
      return send(500, { errorMessages: [`fake Jira failed: ${(error as Error).message}`], errors: {} });
    }
    const dropIndex = this.drops.findIndex(matches);
    const drop = this.drops[dropIndex];
    if (drop) {
      drop.remaining -= 1;
      if (drop.remaining <= 0) this.drops.splice(dropIndex, 1);
      record.dropped = true;
      res.socket?.destroy();
      return;
    }
    send(result.status, result.body);
  }

  /**
   * POST /rest/api/3/issue (REST v3 "Create issue"): 201 `{ id, key, self }`. Jira answers 400 with per-field
   * `errors` for a missing summary ("You must specify a summary of the issue."), an unknown project ("valid project
   * is required") or issue type ("Specify an issue type"), and a description that is not ADF in v3.
   */
  private createIssue(body: unknown, caller: FakeJiraUser): { status: number; body?: unknown } {
    const f = ((body ?? {}) as { fields?: Record<string, unknown> }).fields ?? {};
    const errors: Record<string, string> = {};
    const projectKey = (f.project as { key?: unknown } | undefined)?.key;
    if (typeof projectKey !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(projectKey)) errors.project = 'valid project is required';
    const type = (f.issuetype as { name?: unknown } | undefined)?.name;
    if (typeof type !== 'string' || !FAKE_ISSUE_TYPES.includes(type)) errors.issuetype = 'Specify an issue type';
    if (typeof f.summary !== 'string' || !f.summary.trim()) errors.summary = 'You must specify a summary of the issue.';
    else if (f.summary.length > 255 || /[\r\n]/.test(f.summary)) errors.summary = 'Summary must be less than 255 characters and on one line.';
    if (f.description !== undefined && !validAdf(f.description)) errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
    if (Object.keys(errors).length) throw bad(errors);
    let number = [...this.issues.values()].filter((i) => i.key.startsWith(`${String(projectKey)}-`)).length + 1;
    while (this.issue(`${String(projectKey)}-${number}`)) number++; // seeded keys are not sequential
    const now = Date.now();
    const issue = this.addIssue({
      key: `${String(projectKey)}-${number}`,
      fields: {
        summary: f.summary,
        description: f.description ?? null,
        issuetype: { id: '10002', name: type, subtask: false },
        project: { id: '10000', key: projectKey, name: String(projectKey), projectTypeKey: 'software', simplified: false },
        status: { id: '1', name: 'To Do', statusCategory: statusCategory('new') },
        reporter: { accountId: caller.accountId },
        creator: { accountId: caller.accountId },
        assignee: null,
        labels: [],
        created: jiraTime(now),
        updated: jiraTime(now),
      },
    });
    return { status: 201, body: { id: issue.id, key: issue.key, self: `${this.baseUrl}/rest/api/3/issue/${issue.id}` } };
  }

  /**
   * POST /rest/servicedeskapi/request (JSM Cloud REST "Create customer request",
   * developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/#api-rest-servicedeskapi-request-post):
   * `serviceDeskId`, `requestTypeId` and the request type's required `requestFieldValues` (summary at least);
   * `raiseOnBehalfOf` is the customer's accountId. Rich text fields are plain strings unless `isAdfRequest` is true.
   * Answers 201 with the CustomerRequest. The error wording below is this fake's; the statuses follow the reference
   * (400 for invalid input, 404 for a service desk the caller cannot see).
   */
  private createCustomerRequest(body: unknown): { status: number; body?: unknown } {
    const b = (body ?? {}) as { serviceDeskId?: unknown; requestTypeId?: unknown; raiseOnBehalfOf?: unknown; requestFieldValues?: Record<string, unknown>; isAdfRequest?: unknown };
    const desk = this.serviceDesks.get(String(b.serviceDeskId ?? ''));
    if (!desk) throw new JiraError(404, { errorMessages: [`The service desk ${String(b.serviceDeskId)} does not exist or you do not have permission to see it.`], errors: {} });
    const rt = desk.requestTypes.find((r) => r.id === String(b.requestTypeId ?? ''));
    if (!rt) throw bad({}, [`The request type ${String(b.requestTypeId)} does not exist in service desk ${String(b.serviceDeskId)}.`]);
    const values = b.requestFieldValues ?? {};
    const errors: Record<string, string> = {};
    if (typeof values.summary !== 'string' || !values.summary.trim()) errors.summary = 'You must specify a summary of the issue.';
    else if (values.summary.length > 255 || /[\r\n]/.test(values.summary)) errors.summary = 'Summary must be less than 255 characters and on one line.';
    if (values.description !== undefined && (b.isAdfRequest === true ? !validAdf(values.description) : typeof values.description !== 'string')) errors.description = 'Invalid description.';
    if (Object.keys(errors).length) throw bad(errors);
    let reporter: FakeJiraUser | undefined = this.apiUser;
    if (b.raiseOnBehalfOf !== undefined) {
      reporter = this.users.get(String(b.raiseOnBehalfOf));
      if (!reporter || !reporter.active) throw bad({}, [`The user ${String(b.raiseOnBehalfOf)} does not exist.`]);
    }
    let number = [...this.issues.values()].filter((i) => i.key.startsWith(`${desk.projectKey}-`)).length + 1;
    while (this.issue(`${desk.projectKey}-${number}`)) number++;
    const now = Date.now();
    const description = values.description === undefined ? null : b.isAdfRequest === true ? values.description : adfText(String(values.description));
    const issue = this.addIssue(
      {
        key: `${desk.projectKey}-${number}`,
        fields: {
          summary: values.summary,
          description,
          issuetype: { id: rt.issueTypeId, name: '[System] Service request', subtask: false },
          project: { id: '10001', key: desk.projectKey, name: `${desk.projectKey} Service Desk`, projectTypeKey: 'service_desk', simplified: false },
          status: { id: '10001', name: 'Waiting for support', statusCategory: statusCategory('new') },
          reporter: { accountId: reporter.accountId },
          creator: { accountId: this.apiUser.accountId },
          assignee: null,
          labels: [],
          created: jiraTime(now),
          updated: jiraTime(now),
          [this.fieldIds.requestParticipants]: [],
        },
      },
      { requestType: rt },
    );
    return { status: 201, body: this.customerRequestBody(issue) };
  }

  /**
   * POST /rest/servicedeskapi/request/{idOrKey}/participant (JSM Cloud REST "Add request participants",
   * developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/#api-rest-servicedeskapi-request-issueidorkey-participant-post):
   * body RequestParticipantUpdateDTO `accountIds` (`usernames` "is no longer available": refused here); answers 200
   * with the request's participants (PagedDTOUserDTO), 400 for an invalid request, 404 for a request that does not
   * exist or is hidden (checked by the caller). Someone already a participant stays one, once. The error wording is
   * this fake's.
   */
  private addParticipants(issue: FakeJiraIssue, body: unknown): void {
    const b = (body ?? {}) as { accountIds?: unknown; usernames?: unknown };
    if (Array.isArray(b.usernames) && b.usernames.length) throw bad({}, ['usernames is no longer supported: use accountIds.']);
    if (!Array.isArray(b.accountIds) || !b.accountIds.length || b.accountIds.some((id) => typeof id !== 'string')) throw bad({}, ['accountIds must be a non-empty list of account ids.']);
    const unknown = (b.accountIds as string[]).filter((id) => !this.users.get(id)?.active);
    if (unknown.length) throw bad({}, [`The following users do not exist: ${unknown.join(', ')}`]);
    for (const id of b.accountIds as string[]) if (!issue.participants.includes(id)) issue.participants.push(id);
  }

  /**
   * POST /rest/servicedeskapi/customer (JSM Cloud REST "Create customer",
   * developer.atlassian.com/cloud/jira/service-desk/rest/api-group-customer/#api-rest-servicedeskapi-customer-post):
   * body `email` and `displayName`; requires the Jira Administrator global permission (403 otherwise). An address
   * that already has an account is refused: 400, or 409 with `strictConflictStatusCode=true`. Answers 201 with the
   * new customer's UserDTO.
   */
  private createCustomer(body: unknown, q: URLSearchParams): { status: number; body?: unknown } {
    if (!this.apiUserIsJiraAdmin) throw new JiraError(403, { errorMessages: ['You do not have permission to create customers.'], errors: {} });
    const b = (body ?? {}) as { email?: unknown; displayName?: unknown; fullName?: unknown };
    const email = typeof b.email === 'string' ? b.email.trim() : '';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw bad({ email: 'Enter a valid email address.' });
    const displayName = typeof b.displayName === 'string' && b.displayName.trim() ? b.displayName : typeof b.fullName === 'string' ? b.fullName : '';
    if (!displayName.trim()) throw bad({ displayName: 'Enter a display name.' });
    if ([...this.users.values()].some((u) => (u.emailAddress ?? '').toLowerCase() === email.toLowerCase())) {
      throw new JiraError(q.get('strictConflictStatusCode') === 'true' ? 409 : 400, { errorMessages: ['An account already exists for this email.'], errors: {} });
    }
    const user = this.addUser({ displayName, emailAddress: email, accountType: 'customer' });
    return { status: 201, body: this.jsmUser(user) };
  }

  /**
   * POST /rest/api/3/issue/{key}/attachments (REST v3 "Add attachment"): multipart/form-data with the files in
   * parts named `file`, and the `X-Atlassian-Token: no-check` header, without which Jira blocks the request (XSRF
   * check). Answers 200 with the list of attachments created.
   */
  private attach(key: string, headers: IncomingMessage['headers'], raw: Buffer, caller: FakeJiraUser): { status: number; body?: unknown } {
    const issue = this.issue(key);
    if (!issue) throw new JiraError(404, ISSUE_NOT_FOUND);
    if (String(headers['x-atlassian-token'] ?? '').toLowerCase() !== 'no-check') throw new JiraError(403, { errorMessages: ['XSRF check failed'], errors: {} });
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(String(headers['content-type'] ?? ''));
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) throw bad({}, ['The request is not a multipart request.']);
    const created: Array<{ id: string; filename: string; size: number; content: Buffer }> = [];
    const text = raw.toString('latin1');
    for (const part of text.split(`--${b}`).slice(1, -1)) {
      const at = part.indexOf('\r\n\r\n');
      const head = part.slice(0, at);
      if (!/name="file"/i.test(head)) continue;
      const filename = /filename="([^"]*)"/i.exec(head)?.[1] ?? 'file';
      const content = Buffer.from(part.slice(at + 4, part.length - 2), 'latin1');
      created.push({ id: String(this.nextIssueId++), filename, size: content.length, content });
    }
    if (!created.length) throw bad({}, ['No attachments were found in the request.']);
    issue.attachments = [...(issue.attachments ?? []), ...created];
    return {
      status: 200,
      body: created.map((a) => ({ self: `${this.baseUrl}/rest/api/3/attachment/${a.id}`, id: a.id, filename: a.filename, size: a.size, author: this.userBody(caller, false), mimeType: 'application/octet-stream' })),
    };
  }

  private authenticate(header: string | undefined): FakeJiraUser | undefined {
    const encoded = /^Basic\s+(.+)$/i.exec(header ?? '')?.[1];
    if (!encoded) return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    return decoded === `${this.credentials.email}:${this.credentials.apiToken}` ? this.apiUser : undefined;
  }

  private route(method: string, url: URL, body: unknown, caller: FakeJiraUser): { status: number; body?: unknown } {
    const s = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const q = url.searchParams;
    const at = (...parts: string[]) => parts.length === s.length && parts.every((p, i) => p === '*' || p === s[i]);

    if (at('rest', 'api', '3', 'issue') && method === 'POST') return this.createIssue(body, caller);
    if (at('rest', 'servicedeskapi', 'request') && method === 'POST') return this.createCustomerRequest(body);
    if (at('rest', 'servicedeskapi', 'customer') && method === 'POST') return this.createCustomer(body, q);
    if (at('rest', 'api', '3', 'myself') && method === 'GET') return { status: 200, body: this.userBody(caller) };
    if (at('rest', 'api', '3', 'field') && method === 'GET') return { status: 200, body: this.fieldList() };
    if (at('rest', 'api', '3', 'user') && method === 'GET') {
      const user = this.users.get(q.get('accountId') ?? '');
      if (!user) throw new JiraError(404, { errorMessages: [`Specified user does not exist or you do not have required permissions`], errors: {} });
      return { status: 200, body: this.userBody(user) };
    }
    if (at('rest', 'api', '3', 'user', 'search') && method === 'GET') {
      const query = (q.get('query') ?? '').toLowerCase();
      if (!query && !q.get('accountId')) throw bad({}, ['One of the query parameters query or accountId must be provided.']);
      const found = [...this.users.values()].filter(
        (u) =>
          u.active &&
          (q.get('accountId') ? u.accountId === q.get('accountId') : u.displayName.toLowerCase().includes(query) || (u.emailAddress ?? '').toLowerCase().startsWith(query)),
      );
      const start = Number(q.get('startAt') ?? 0);
      return { status: 200, body: found.slice(start, start + Number(q.get('maxResults') ?? 50)).map((u) => this.userBody(u)) };
    }

    // GET /rest/api/3/priority/search (api-group-issue-priorities): a page of priorities.
    if (at('rest', 'api', '3', 'priority', 'search') && method === 'GET') {
      const values = JIRA_PRIORITIES.map((p) => ({
        self: `${this.baseUrl}/rest/api/3/priority/${p.id}`,
        statusColor: '#cccccc',
        description: p.name,
        iconUrl: `${this.baseUrl}/images/icons/priorities/${p.icon}.svg`,
        name: p.name,
        id: p.id,
        isDefault: p.name === 'Medium',
      }));
      return { status: 200, body: { self: `${this.baseUrl}/rest/api/3/priority/search`, maxResults: 50, startAt: 0, total: values.length, isLast: true, values } };
    }
    // GET /rest/api/3/user/permission/search (api-group-user-search "Get users with permissions"): `permissions`
    // is required, and `query` or `accountId`; the caller needs Administer Projects on the project (or Administer
    // Jira), otherwise Jira refuses.
    if (at('rest', 'api', '3', 'user', 'permission', 'search') && method === 'GET') {
      const wanted = (q.get('permissions') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
      if (wanted.length === 0) throw bad({}, ["The 'permissions' query parameter is required."]);
      const unknown = wanted.filter((p) => !KNOWN_PERMISSIONS.has(p));
      if (unknown.length) throw bad({}, [`Unrecognized permission key(s): ${unknown.join(', ')}`]);
      if (!q.get('accountId') && !q.get('query')) throw bad({}, ['One of the query parameters query or accountId must be provided.']);
      const issueKey = q.get('issueKey');
      const projectKey = issueKey ? this.issue(issueKey)?.key.split('-')[0] : q.get('projectKey');
      if (issueKey && !projectKey) throw new JiraError(404, ISSUE_NOT_FOUND);
      if (!projectKey) throw bad({}, ['Either the issueKey or the projectKey must be provided.']);
      if (!this.apiUserAdministersProjects) {
        throw new JiraError(403, { errorMessages: ['You do not have the permission to see the specified project permissions.'], errors: {} });
      }
      const has = (u: FakeJiraUser) => {
        const held = this.grants.get(u.accountId)?.get(projectKey);
        return u.active && wanted.every((p) => held?.has(p));
      };
      const query = (q.get('query') ?? '').toLowerCase();
      const found = [...this.users.values()].filter(
        (u) => has(u) && (q.get('accountId') ? u.accountId === q.get('accountId') : u.displayName.toLowerCase().includes(query)),
      );
      return { status: 200, body: found.map((u) => this.userBody(u, false)) };
    }

    if (s[0] === 'rest' && s[1] === 'api' && s[2] === '3' && s[3] === 'issue' && s[4]) {
      const issue = this.issue(s[4]);
      if (!issue) throw new JiraError(404, ISSUE_NOT_FOUND);
      if (at('rest', 'api', '3', 'issue', '*')) {
        if (method === 'GET') return { status: 200, body: this.issueBody(issue, q) };
        if (method === 'PUT') return this.editIssue(issue, body, q);
      }
      if (at('rest', 'api', '3', 'issue', '*', 'assignee') && method === 'PUT') {
        const accountId = (body as { accountId?: string | null } | undefined)?.accountId ?? null;
        issue.fields.assignee = accountId === null ? null : { accountId: this.assignable(accountId).accountId };
        this.touch(issue);
        return { status: 204 };
      }
      if (at('rest', 'api', '3', 'issue', '*', 'comment')) {
        if (method === 'GET') return { status: 200, body: this.commentPage(issue, q) };
        if (method === 'POST') {
          const b = (body ?? {}) as { body?: unknown };
          if (b.body === undefined) throw bad({ comment: 'Comment body can not be empty!' });
          if (!validAdf(b.body)) throw bad({ comment: 'INVALID_INPUT' });
          const visibility = (body as { visibility?: unknown }).visibility;
          const properties = (body as { properties?: unknown }).properties;
          if (properties !== undefined && (!Array.isArray(properties) || properties.some((p) => typeof (p as { key?: unknown })?.key !== 'string'))) {
            throw bad({ properties: 'Properties must be a list of {key, value}.' });
          }
          const props = (properties ?? []) as Array<{ key: string; value: unknown }>;
          // JSM: the `sd.public.comment` property `{ internal: true }` makes a platform-API comment internal
          // (support.atlassian.com "add internal comments through the REST API").
          const sd = props.find((p) => p.key === 'sd.public.comment')?.value as { internal?: unknown } | undefined;
          const jsdPublic = visibility === undefined && sd?.internal !== true;
          const comment = this.addComment(issue, caller, b.body, jsdPublic, 'platform');
          if (props.length) comment.properties = props;
          return { status: 201, body: this.commentBody(issue, comment) };
        }
      }
      if (at('rest', 'api', '3', 'issue', '*', 'comment', '*') && method === 'GET') {
        const comment = issue.comments.find((c) => c.id === s[6]);
        if (!comment) throw new JiraError(404, { errorMessages: ['Can not find a comment for the id: ' + s[6] + '.'], errors: {} });
        return { status: 200, body: this.commentBody(issue, comment) };
      }
      // GET /rest/api/3/issue/{key}/watchers: { self, isWatching, watchCount, watchers: [user] }
      if (at('rest', 'api', '3', 'issue', '*', 'watchers') && method === 'GET') {
        const watchers = (issue.watchers ?? []).map((id) => this.users.get(id)).filter((u): u is FakeJiraUser => Boolean(u));
        return {
          status: 200,
          body: {
            self: `${this.baseUrl}/rest/api/3/issue/${issue.key}/watchers`,
            isWatching: watchers.some((w) => w.accountId === caller.accountId),
            watchCount: watchers.length,
            watchers: watchers.map((w) => this.userBody(w, false)),
          },
        };
      }
      if (at('rest', 'api', '3', 'issue', '*', 'remotelink')) {
        if (method === 'GET') {
          const globalId = q.get('globalId');
          if (globalId) {
            const link = issue.remoteLinks.find((l) => l.globalId === globalId);
            if (!link) throw new JiraError(404, { errorMessages: ['No remote link found with the given global ID.'], errors: {} });
            return { status: 200, body: this.remoteLinkBody(issue, link) };
          }
          return { status: 200, body: issue.remoteLinks.map((l) => this.remoteLinkBody(issue, l)) };
        }
        if (method === 'POST') return this.upsertRemoteLink(issue, body);
      }
    }

    // jira.js addComment sends a string body to API v2 (wiki markup), then reads the comment back through v3.
    if (at('rest', 'api', '2', 'issue', '*', 'comment') && method === 'POST') {
      const issue = this.issue(s[4] ?? '');
      if (!issue) throw new JiraError(404, ISSUE_NOT_FOUND);
      const text = (body as { body?: unknown } | undefined)?.body;
      if (typeof text !== 'string' || text === '') throw bad({ comment: 'Comment body can not be empty!' });
      const comment = this.addComment(issue, caller, text, (body as { visibility?: unknown }).visibility === undefined, 'platform');
      const v2 = { ...this.commentBody(issue, comment), body: text, self: `${this.baseUrl}/rest/api/2/issue/${issue.id}/comment/${comment.id}` };
      return { status: 201, body: v2 };
    }

    if (s[0] === 'rest' && s[1] === 'servicedeskapi' && s[2] === 'request' && s[3]) {
      const issue = this.issue(s[3]);
      if (!issue) throw new JiraError(404, { errorMessages: ['Request does not exist or you do not have permission to see it.'], errors: {} });
      if (!issue.requestType) throw new JiraError(404, { errorMessages: [`The issue ${issue.key} is not a customer request.`], errors: {} });
      if (at('rest', 'servicedeskapi', 'request', '*') && method === 'GET') return { status: 200, body: this.customerRequestBody(issue) };
      if (at('rest', 'servicedeskapi', 'request', '*', 'participant') && method === 'POST') this.addParticipants(issue, body);
      if (at('rest', 'servicedeskapi', 'request', '*', 'participant') && (method === 'GET' || method === 'POST')) {
        const users = issue.participants.map((id) => this.users.get(id)).filter((u): u is FakeJiraUser => Boolean(u));
        return { status: 200, body: this.paged(users.map((u) => this.jsmUser(u)), `${this.baseUrl}/rest/servicedeskapi/request/${issue.id}/participant`) };
      }
      if (at('rest', 'servicedeskapi', 'request', '*', 'comment')) {
        if (method === 'POST') {
          const b = (body ?? {}) as { body?: unknown; public?: unknown };
          if (typeof b.body !== 'string' || b.body === '') throw bad({}, ['The comment body must not be empty.']);
          const comment = this.addComment(issue, caller, b.body, b.public !== false, 'servicedesk');
          return { status: 201, body: this.jsmCommentBody(issue, comment) };
        }
        if (method === 'GET') {
          const wantPublic = q.get('public') !== 'false';
          const wantInternal = q.get('internal') !== 'false';
          const comments = issue.comments.filter((c) => (c.jsdPublic ? wantPublic : wantInternal));
          return { status: 200, body: this.paged(comments.map((c) => this.jsmCommentBody(issue, c)), `${this.baseUrl}/rest/servicedeskapi/request/${issue.id}/comment`) };
        }
      }
    }
    throw new JiraError(404, { errorMessages: [`The fake Jira does not implement ${method} ${url.pathname}.`], errors: {} });
  }

  private editIssue(issue: FakeJiraIssue, body: unknown, q: URLSearchParams) {
    const b = (body ?? {}) as { fields?: Record<string, unknown>; update?: Record<string, Array<Record<string, unknown>>> };
    const errors: Record<string, string> = {};
    for (const [field, value] of Object.entries(b.fields ?? {})) {
      if (field === 'priority') {
        const v = value as { id?: string; name?: string };
        const p = JIRA_PRIORITIES.find((x) => x.id === v?.id || x.name === v?.name);
        if (!p) errors.priority = `Specify a valid 'id' or 'name' for Priority`;
        else issue.fields.priority = { id: p.id, name: p.name, iconUrl: `/images/icons/priorities/${p.icon}.svg` };
      } else if (field === 'assignee') {
        const accountId = (value as { accountId?: string } | null)?.accountId;
        if (value === null || accountId === undefined) issue.fields.assignee = null;
        else issue.fields.assignee = { accountId: this.assignable(accountId).accountId };
      } else if (field === 'description' && value !== null && !validAdf(value)) {
        errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
      } else if (field in issue.fields || field === 'summary' || field === 'labels') {
        issue.fields[field] = value;
      } else {
        errors[field] = `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
      }
    }
    for (const [field, operations] of Object.entries(b.update ?? {})) {
      if (field !== 'labels') {
        errors[field] = `Field '${field}' cannot be set. It is not on the appropriate screen, or unknown.`;
        continue;
      }
      let labels = [...((issue.fields.labels as string[] | undefined) ?? [])];
      for (const op of operations) {
        if (typeof op.add === 'string' && !labels.includes(op.add)) labels.push(op.add);
        if (typeof op.remove === 'string') labels = labels.filter((l) => l !== op.remove);
        if (Array.isArray(op.set)) labels = op.set.map(String);
      }
      issue.fields.labels = labels;
    }
    if (Object.keys(errors).length) throw bad(errors);
    this.touch(issue);
    return q.get('returnIssue') === 'true' ? { status: 200, body: this.issueBody(issue, new URLSearchParams()) } : { status: 204 };
  }

  private assignable(accountId: string): FakeJiraUser {
    const user = this.users.get(accountId);
    if (!user || !user.active) throw bad({ assignee: `User '${accountId}' cannot be assigned issues.` });
    return user;
  }

  private touch(issue: FakeJiraIssue) {
    issue.fields.updated = jiraTime(Date.now());
  }

  private addComment(issue: FakeJiraIssue, author: FakeJiraUser, body: unknown, jsdPublic: boolean, via: FakeJiraComment['via']): FakeJiraComment {
    const comment: FakeJiraComment = { id: String(this.nextCommentId++), authorAccountId: author.accountId, body, jsdPublic, via, created: Date.now() };
    issue.comments.push(comment);
    this.touch(issue);
    return comment;
  }

  /** POST remotelink: a known globalId updates in place (200), otherwise a new link (201); both answer {id, self}. */
  private upsertRemoteLink(issue: FakeJiraIssue, body: unknown) {
    const b = (body ?? {}) as { globalId?: unknown; application?: Record<string, unknown>; relationship?: unknown; object?: Record<string, unknown> };
    if (!b.object || typeof b.object.url !== 'string' || !b.object.url) throw bad({ url: "'url' is required." });
    if (typeof b.object.title !== 'string' || !b.object.title) throw bad({ title: "'title' is required." });
    const globalId = typeof b.globalId === 'string' && b.globalId ? b.globalId : null;
    const existing = globalId ? issue.remoteLinks.find((l) => l.globalId === globalId) : undefined;
    const values = {
      globalId,
      application: b.application ?? null,
      relationship: typeof b.relationship === 'string' ? b.relationship : null,
      object: b.object,
    };
    if (existing) {
      Object.assign(existing, values);
      return { status: 200, body: { id: existing.id, self: this.remoteLinkSelf(issue, existing) } };
    }
    const link: FakeRemoteLink = { id: this.nextLinkId++, ...values };
    issue.remoteLinks.push(link);
    return { status: 201, body: { id: link.id, self: this.remoteLinkSelf(issue, link) } };
  }

  // ---- bodies ----

  private rewrite<T>(issue: FakeJiraIssue, value: T): T {
    let text = JSON.stringify(value);
    if (issue.sourceOrigin) text = text.split(issue.sourceOrigin).join(this.baseUrl);
    text = text.replace(/"(\/(?:rest|images)\/)/g, `"${this.baseUrl}$1`).replace(/\/rest\/api\/2\//g, '/rest/api/3/');
    return JSON.parse(text) as T;
  }

  private issueBody(issue: FakeJiraIssue, q: URLSearchParams) {
    const fields: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(issue.fields)) {
      fields[name] = ['assignee', 'reporter', 'creator'].includes(name) ? this.userRef(value) : value;
    }
    const participantsField = this.fieldIds.requestParticipants;
    if (participantsField in fields) fields[participantsField] = issue.participants.map((id) => this.userRef({ accountId: id }));
    if (issue.requestType) fields[this.fieldIds.requestType] = this.requestTypeField(issue);
    fields.comment = this.commentPage(issue, new URLSearchParams());
    const wanted = q.getAll('fields').join(',').split(',').map((f) => f.trim()).filter(Boolean);
    const selected = wanted.length === 0 || wanted.includes('*all') || wanted.includes('*navigable')
      ? fields
      : Object.fromEntries(Object.entries(fields).filter(([name]) => wanted.includes(name)));
    for (const excluded of wanted.filter((f) => f.startsWith('-'))) delete selected[excluded.slice(1)];
    const expand = q.getAll('expand').join(',').split(',');
    return this.rewrite(issue, {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id: issue.id,
      self: `${this.baseUrl}/rest/api/3/issue/${issue.id}`,
      key: issue.key,
      fields: selected,
      ...(expand.includes('renderedFields')
        ? { renderedFields: { description: issue.fields.description ? `<p>${escapeHtml(adfToText(issue.fields.description).trim())}</p>` : null } }
        : {}),
      ...(expand.includes('names') ? { names: Object.fromEntries(Object.keys(selected).map((k) => [k, this.fieldName(k)])) } : {}),
    });
  }

  private userRef(value: unknown) {
    const accountId = (value as { accountId?: string } | null)?.accountId;
    if (!accountId) return value ?? null;
    const user = this.users.get(decodeURIComponent(accountId));
    return user ? this.userBody(user, false) : value;
  }

  /** A Jira user as REST v3 returns it; `emailAddress` only when the profile makes it visible. */
  private userBody(user: FakeJiraUser, full = true) {
    return {
      self: `${this.baseUrl}/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}`,
      accountId: user.accountId,
      accountType: user.accountType,
      ...(user.emailVisible && user.emailAddress ? { emailAddress: user.emailAddress } : {}),
      avatarUrls: avatarUrls(user.accountId),
      displayName: user.displayName,
      active: user.active,
      timeZone: user.timeZone,
      ...(full ? { locale: 'en_US', groups: { size: 0, items: [] }, applicationRoles: { size: 0, items: [] }, expand: 'groups,applicationRoles' } : {}),
    };
  }

  private commentBody(issue: FakeJiraIssue, c: FakeJiraComment) {
    const author = this.users.get(c.authorAccountId);
    const authorBody = author ? this.userBody(author, false) : { accountId: c.authorAccountId };
    return {
      self: `${this.baseUrl}/rest/api/3/issue/${issue.id}/comment/${c.id}`,
      id: c.id,
      author: authorBody,
      body: typeof c.body === 'string' ? adfText(c.body) : c.body,
      updateAuthor: authorBody,
      created: jiraTime(c.created),
      updated: jiraTime(c.created),
      jsdPublic: c.jsdPublic,
    };
  }

  private commentPage(issue: FakeJiraIssue, q: URLSearchParams) {
    const startAt = Number(q.get('startAt') ?? 0);
    const maxResults = Number(q.get('maxResults') ?? 5000);
    // orderBy `created` / `-created` (api-group-issue-comments); default oldest first.
    const ordered = q.get('orderBy') === '-created' ? [...issue.comments].reverse() : issue.comments;
    const comments = ordered.slice(startAt, startAt + maxResults).map((c) => this.commentBody(issue, c));
    return { self: `${this.baseUrl}/rest/api/3/issue/${issue.id}/comment`, startAt, maxResults, total: issue.comments.length, comments };
  }

  private remoteLinkSelf(issue: FakeJiraIssue, link: FakeRemoteLink) {
    return `${this.baseUrl}/rest/api/3/issue/${issue.key}/remotelink/${link.id}`;
  }

  private remoteLinkBody(issue: FakeJiraIssue, link: FakeRemoteLink) {
    return {
      id: link.id,
      self: this.remoteLinkSelf(issue, link),
      ...(link.globalId ? { globalId: link.globalId } : {}),
      ...(link.application ? { application: link.application } : {}),
      ...(link.relationship ? { relationship: link.relationship } : {}),
      object: link.object,
    };
  }

  private requestTypeField(issue: FakeJiraIssue) {
    const rt = issue.requestType as JsmRequestType;
    const status = issue.fields.status as { name?: string; statusCategory?: { key?: string } } | undefined;
    return {
      _links: {
        jiraRest: `${this.baseUrl}/rest/api/2/issue/${issue.id}`,
        web: `${this.baseUrl}/servicedesk/customer/portal/${rt.portalId}/${issue.key}`,
        agent: `${this.baseUrl}/browse/${issue.key}`,
        self: `${this.baseUrl}/rest/servicedeskapi/request/${issue.id}`,
      },
      requestType: this.requestTypeBody(rt),
      currentStatus: {
        status: status?.name ?? 'Open',
        statusCategory: (status?.statusCategory?.key ?? 'new').toUpperCase(),
        statusDate: dateDto(Date.now()),
      },
    };
  }

  private requestTypeBody(rt: JsmRequestType) {
    return {
      _expands: ['field'],
      id: rt.id,
      _links: { self: `${this.baseUrl}/rest/servicedeskapi/servicedesk/${rt.serviceDeskId}/requesttype/${rt.id}` },
      name: rt.name,
      description: '',
      helpText: '',
      issueTypeId: rt.issueTypeId,
      serviceDeskId: rt.serviceDeskId,
      portalId: rt.portalId,
      groupIds: ['1'],
    };
  }

  /** GET /rest/servicedeskapi/request/{idOrKey} (CustomerRequest). */
  private customerRequestBody(issue: FakeJiraIssue) {
    const rt = issue.requestType as JsmRequestType;
    const reporterId = (issue.fields.reporter as { accountId?: string } | null)?.accountId;
    const reporter = reporterId ? this.users.get(reporterId) : undefined;
    const status = issue.fields.status as { name?: string; statusCategory?: { key?: string } } | undefined;
    const created = Date.parse(String(issue.fields.created ?? '')) || Date.now();
    return {
      _expands: ['participant', 'status', 'sla', 'requestType', 'serviceDesk', 'attachment', 'action', 'comment'],
      issueId: issue.id,
      issueKey: issue.key,
      requestTypeId: rt.id,
      serviceDeskId: rt.serviceDeskId,
      createdDate: dateDto(created),
      reporter: reporter ? this.jsmUser(reporter) : null,
      requestFieldValues: [
        { fieldId: 'summary', label: 'Summary', value: issue.fields.summary ?? '' },
        ...(issue.fields.description ? [{ fieldId: 'description', label: 'Description', value: adfToText(issue.fields.description).trim() }] : []),
      ],
      currentStatus: { status: status?.name ?? 'Open', statusCategory: (status?.statusCategory?.key ?? 'new').toUpperCase(), statusDate: dateDto(Date.now()) },
      _links: {
        jiraRest: `${this.baseUrl}/rest/api/2/issue/${issue.id}`,
        web: `${this.baseUrl}/servicedesk/customer/portal/${rt.portalId}/${issue.key}`,
        agent: `${this.baseUrl}/browse/${issue.key}`,
        self: `${this.baseUrl}/rest/servicedeskapi/request/${issue.id}`,
      },
    };
  }

  /** JSM's UserDTO. */
  private jsmUser(user: FakeJiraUser) {
    return {
      accountId: user.accountId,
      ...(user.emailVisible && user.emailAddress ? { emailAddress: user.emailAddress } : {}),
      displayName: user.displayName,
      active: user.active,
      timeZone: user.timeZone,
      _links: {
        jiraRest: `${this.baseUrl}/rest/api/2/user?accountId=${encodeURIComponent(user.accountId)}`,
        avatarUrls: avatarUrls(user.accountId),
        self: `${this.baseUrl}/rest/api/2/user?accountId=${encodeURIComponent(user.accountId)}`,
      },
    };
  }

  private jsmCommentBody(issue: FakeJiraIssue, c: FakeJiraComment) {
    const author = this.users.get(c.authorAccountId);
    return {
      id: c.id,
      body: typeof c.body === 'string' ? c.body : adfToText(c.body).trim(),
      public: c.jsdPublic,
      author: author ? this.jsmUser(author) : { accountId: c.authorAccountId },
      created: dateDto(c.created),
      _links: { self: `${this.baseUrl}/rest/servicedeskapi/request/${issue.id}/comment/${c.id}` },
    };
  }

  private paged<T>(values: T[], self: string) {
    return { size: values.length, start: 0, limit: 50, isLastPage: true, values, _links: { base: this.baseUrl, context: '', self } };
  }

  private fieldName(id: string): string {
    if (id === this.fieldIds.requestType) return 'Request Type';
    if (id === this.fieldIds.requestParticipants) return 'Request participants';
    if (id === this.fieldIds.responders) return 'Responders';
    return id.charAt(0).toUpperCase() + id.slice(1);
  }

  /** GET /rest/api/3/field: the system fields the app reads plus the JSM custom fields, so ids can be found by name. */
  private fieldList() {
    const system = ['summary', 'description', 'priority', 'assignee', 'reporter', 'status', 'issuetype', 'project', 'labels', 'comment'];
    const custom = [
      { id: this.fieldIds.requestType, name: 'Request Type', schema: { type: 'sd-customerrequesttype', custom: 'com.atlassian.servicedesk:vp-origin' } },
      { id: this.fieldIds.requestParticipants, name: 'Request participants', schema: { type: 'array', items: 'user', custom: 'com.atlassian.servicedesk:sd-request-participants' } },
      // UNVERIFIED custom type key for Responders; apps should match the field by name.
      { id: this.fieldIds.responders, name: 'Responders', schema: { type: 'array', items: 'any', custom: 'com.atlassian.jira.modules.servicemanagement.responders-entities:responders-entities-cf' } },
    ];
    return [
      ...system.map((id) => ({ id, key: id, name: this.fieldName(id), custom: false, orderable: true, navigable: true, searchable: true, clauseNames: [id] })),
      ...custom.map((f) => {
        const customId = Number(f.id.replace('customfield_', ''));
        return {
          id: f.id,
          key: f.id,
          name: f.name,
          untranslatedName: f.name,
          custom: true,
          orderable: true,
          navigable: true,
          searchable: true,
          clauseNames: [`cf[${customId}]`, f.name],
          schema: { ...f.schema, customId },
        };
      }),
    ];
  }
}

function statusCategory(category: 'new' | 'indeterminate' | 'done') {
  const map = { new: { id: 2, colorName: 'blue-gray', name: 'To Do' }, indeterminate: { id: 4, colorName: 'yellow', name: 'In Progress' }, done: { id: 3, colorName: 'green', name: 'Done' } };
  return { self: `/rest/api/2/statuscategory/${map[category].id}`, key: category, ...map[category] };
}

/** Jira's timestamp format: `2024-07-04T13:33:22.155+0000`. */
function jiraTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** JSM DateDTO. */
function dateDto(ms: number) {
  const d = new Date(ms);
  return { iso8601: d.toISOString().replace(/\.\d{3}Z$/, '+0000'), jira: jiraTime(ms), friendly: d.toUTCString(), epochMillis: ms };
}

function avatarUrls(accountId: string) {
  const base = `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/${encodeURIComponent(accountId)}/default`;
  return { '48x48': `${base}/48`, '24x24': `${base}/24`, '16x16': `${base}/16`, '32x32': `${base}/32` };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
