// The Jira calls jobs make, through jira.js (Cloud platform + Service Management clients), behind a small interface
// so workflows can be tested with a hand-written fake. The base URL always comes from the site's settings, never
// from a payload. Jira errors become the app's error types: a deleted or hidden issue is permanent, 429 is
// throttled, the rest is transient.
import { createCloudClient, createServiceDeskClient } from 'jira.js';
import { isApiError, isNotFoundError, isRateLimitError } from 'jira.js/core';
import { BridgeError, DeadlineError, PermanentError, ThrottledError } from '../errors.js';
import { createLogger, invocationSink } from '../log.js';

// Jira's refusals are logged once per call with the status; jira.js exposes no response headers, so Atlassian's
// X-AREQUESTID cannot be recorded here (the issue key and time identify the call to Atlassian support instead).
const log = createLogger(invocationSink);
import { defaultFieldIds, parseIssue, parseUser, type JiraFieldIds, type JiraIssue, type JiraUser } from './issue.js';

export interface RemoteLink {
  /** Stable id so a repeat updates the same link instead of adding another (Jira upserts on globalId). */
  globalId: string;
  url: string;
  title: string;
  summary?: string;
  iconUrl?: string;
}

/**
 * The Jira REST operations behind JiraApi methods, as a dry run lists the calls an event would cause
 * (shared/admin/dryRun.ts): Jira paths are written in shared/jira/ only. upsertRemoteLink is jira.js
 * issueRemoteLinks.createOrUpdateRemoteIssueLink, "Create or update remote issue link" (POST
 * /rest/api/3/issue/{issueIdOrKey}/remotelink, developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-remote-links).
 */
export const jiraOperations = {
  upsertRemoteLink: 'POST /rest/api/3/issue/{key}/remotelink',
} as const;

export interface JiraApi {
  readonly baseUrl: string;
  /** The issue now; with `watchers: true` also its watchers (one more call, made only when a project wants them). */
  getIssue(issueKey: string, fieldIds?: JiraFieldIds, options?: { watchers?: boolean }): Promise<JiraIssue>;
  getWatchers(issueKey: string): Promise<JiraUser[]>;
  /** A note only agents see: a JSM internal comment, or a plain comment outside service projects. */
  addInternalComment(issueKey: string, text: string, isServiceDesk: boolean): Promise<void>;
  /** A reply the JSM customer sees. */
  addPublicReply(issueKey: string, text: string): Promise<void>;
  upsertRemoteLink(issueKey: string, link: RemoteLink): Promise<void>;
  getUser(accountId: string): Promise<JiraUser | undefined>;
  /**
   * A comment written through the platform API as Atlassian Document Format, so chat text can never become Jira
   * markup or a mention (ADF text nodes are literal). `internal` on a JSM issue sets the `sd.public.comment`
   * property to `{ internal: true }` (JSM's documented way to make a REST comment internal); elsewhere a comment
   * is a plain comment either way.
   */
  addAdfComment(issueKey: string, text: string, options: { internal: boolean; serviceDesk: boolean }): Promise<void>;
  /** True when one of the issue's latest 100 comments contains `marker` (crash recovery: was it written?). */
  recentCommentContains(issueKey: string, marker: string): Promise<boolean>;
  listPriorities(): Promise<Array<{ id: string; name: string }>>;
  setPriority(issueKey: string, priorityId: string): Promise<void>;
  assignIssue(issueKey: string, accountId: string): Promise<void>;
  /** Active Jira users whose e-mail is exactly `email` (Jira matches hidden addresses too but does not show them). */
  findUsersByEmail(email: string): Promise<JiraUser[]>;
  /**
   * Whether `accountId` holds every one of `permissions` on the issue, asked of Jira with "Get users with
   * permissions" (GET /rest/api/3/user/permission/search?accountId&issueKey&permissions). Atlassian's reference
   * (developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/#api-rest-api-3-user-permission-search-get)
   * requires of the caller *Administer Projects* on that project (or *Administer Jira*). That is the least
   * privilege that answers the question for another user: the bulk check (POST /rest/api/3/permissions/check,
   * api-group-permissions) needs *Administer Jira* to ask about anyone but the caller, and "assignable users"
   * answers only "may be assigned", not "may assign".
   */
  userHasPermissions(accountId: string, issueKey: string, permissions: readonly string[]): Promise<boolean>;
  /** Creates an issue (mail → Jira); the description is plain text sent as ADF paragraphs. */
  createIssue(input: { projectKey: string; issueType: string; summary: string; description: string }): Promise<{ id: string; key: string }>;
  /** Active users whose e-mail starts with or display name contains `query` (GET /rest/api/3/user/search). */
  findUsers(query: string): Promise<JiraUser[]>;
  /**
   * Raises a JSM customer request on behalf of a customer (POST /rest/servicedeskapi/request, JSM Cloud REST
   * "Create customer request": `serviceDeskId`, `requestTypeId`, `requestFieldValues`, `raiseOnBehalfOf` = the
   * customer's accountId; raising on behalf needs the caller to be an agent of that service desk).
   */
  createRequest(input: { serviceDeskId: string; requestTypeId: string; summary: string; description: string; raiseOnBehalfOf: string }): Promise<{ id: string; key: string }>;
  /**
   * Creates a JSM customer account (POST /rest/servicedeskapi/customer, JSM Cloud REST "Create customer": body
   * `email`, `displayName`; Atlassian requires *Jira Administrator* of the caller).
   */
  createCustomer(email: string, displayName: string): Promise<JiraUser>;
  /**
   * Adds request participants to a JSM customer request (POST /rest/servicedeskapi/request/{key}/participant, JSM
   * Cloud REST "Add request participants": body `accountIds`; needs permission to manage participants; 400 for an
   * invalid request, 404 when the request does not exist or is hidden).
   */
  addRequestParticipants(issueKey: string, accountIds: string[]): Promise<void>;
  /**
   * A JSM customer request's participants (GET /rest/servicedeskapi/request/{key}/participant, paged), read without
   * the site-specific id of the Request participants field. `PermanentError` (404) when it is not a customer request.
   */
  getRequestParticipants(issueKey: string): Promise<JiraUser[]>;
  /** Uploads files to an issue (POST /rest/api/3/issue/{key}/attachments, multipart). */
  addAttachments(issueKey: string, files: Array<{ filename: string; content: Buffer }>): Promise<void>;
}

export interface JiraSiteCredentials {
  baseUrl: string;
  email: string;
  apiToken: string;
}

export function issueUrl(baseUrl: string, issueKey: string): string {
  return `${baseUrl}/browse/${encodeURIComponent(issueKey)}`;
}

export const defaultJiraTimeoutMs = 30_000;

export interface JiraClientOptions {
  /** Deadline of each Jira call in ms (JIRA_TIMEOUT_SECONDS; default 30 s). */
  timeoutMs?: number;
}

export function createJiraApi(site: JiraSiteCredentials, options: JiraClientOptions = {}): JiraApi {
  const timeoutMs = options.timeoutMs ?? defaultJiraTimeoutMs;
  const call = <T>(what: string, run: () => Promise<T>) => callJira(what, timeoutMs, run);
  const config = {
    host: site.baseUrl,
    auth: { type: 'basic' as const, email: site.email, apiToken: site.apiToken },
    // Jobs are retried by the queue with backoff; an inline retry would only hold the function longer.
    retry: { maxAttempts: 1 },
    // Jira adds fields over time; an unexpected response shape is not a reason to fail a job.
    onSchemaMismatch: 'silent' as const,
  };
  const cloud = createCloudClient(config);
  const serviceDesk = createServiceDeskClient(config);

  async function getWatchers(issueKey: string): Promise<JiraUser[]> {
    const raw = await call(`get watchers of ${issueKey}`, () => cloud.issueWatchers.getIssueWatchers({ issueIdOrKey: issueKey }));
    return ((raw as { watchers?: unknown[] }).watchers ?? []).map(parseUser).filter((u): u is JiraUser => Boolean(u));
  }

  return {
    baseUrl: site.baseUrl,
    async getIssue(issueKey, fieldIds = defaultFieldIds, options = {}) {
      const watchers = options.watchers ? getWatchers(issueKey) : undefined;
      watchers?.catch(() => undefined); // awaited below; no unhandled rejection if the issue read fails first
      const raw = await call(`get issue ${issueKey}`, () =>
        cloud.issues.getIssue({
          issueIdOrKey: issueKey,
          fields: [
            'summary', 'description', 'issuetype', 'project', 'priority', 'status', 'resolution', 'resolutiondate', 'labels',
            'assignee', 'reporter', fieldIds.requestType, fieldIds.requestParticipants, fieldIds.responders,
          ],
        }),
      );
      const issue = parseIssue(raw, fieldIds);
      if (!issue) throw new PermanentError(`Jira returned no usable issue for ${issueKey}`, 'jira_issue_unreadable');
      return watchers ? { ...issue, watchers: await watchers } : issue;
    },
    getWatchers,
    async addInternalComment(issueKey, text, isServiceDesk) {
      if (isServiceDesk) {
        await call(`comment on ${issueKey}`, () => serviceDesk.request.createRequestComment({ issueIdOrKey: issueKey, body: text, public: false }));
      } else {
        await call(`comment on ${issueKey}`, () => cloud.issueComments.addComment({ issueIdOrKey: issueKey, body: adf(text) as never }));
      }
    },
    async addPublicReply(issueKey, text) {
      await call(`reply on ${issueKey}`, () => serviceDesk.request.createRequestComment({ issueIdOrKey: issueKey, body: text, public: true }));
    },
    async upsertRemoteLink(issueKey, link) {
      await call(`link ${issueKey}`, () =>
        cloud.issueRemoteLinks.createOrUpdateRemoteIssueLink({
          issueIdOrKey: issueKey,
          globalId: link.globalId,
          application: { type: 'com.microsoft.teams', name: 'Microsoft Teams' },
          relationship: 'Teams chat',
          object: { url: link.url, title: link.title, summary: link.summary, icon: link.iconUrl ? { url16x16: link.iconUrl, title: 'Microsoft Teams' } : undefined },
        } as never),
      );
    },
    async createIssue(input) {
      const created = await call(`create an issue in ${input.projectKey}`, () =>
        cloud.issues.createIssue({
          fields: { project: { key: input.projectKey }, issuetype: { name: input.issueType }, summary: input.summary, description: adf(input.description) },
        }),
      );
      if (!created.key || !created.id) throw new PermanentError(`Jira created no readable issue in ${input.projectKey}`, 'jira_issue_unreadable');
      return { id: created.id, key: created.key };
    },
    async createRequest(input) {
      const created = await call(`raise a request in service desk ${input.serviceDeskId}`, () =>
        serviceDesk.request.createCustomerRequest({
          serviceDeskId: input.serviceDeskId,
          requestTypeId: input.requestTypeId,
          raiseOnBehalfOf: input.raiseOnBehalfOf,
          // Without isAdfRequest the servicedeskapi takes rich text fields as plain text (wiki renderer).
          requestFieldValues: { summary: input.summary, description: input.description },
        }),
      );
      if (!created.issueKey || !created.issueId) throw new PermanentError(`Jira raised no readable request in service desk ${input.serviceDeskId}`, 'jira_issue_unreadable');
      return { id: String(created.issueId), key: created.issueKey };
    },
    async createCustomer(email, displayName) {
      const raw = await call('create a customer', () => serviceDesk.customer.createCustomer({ email, displayName }));
      const user = parseUser(raw);
      if (!user) throw new PermanentError('Jira created no readable customer account', 'jira_user_unreadable');
      return user;
    },
    async findUsers(query) {
      const raw = await call('search users', () => cloud.userSearch.findUsers({ query, maxResults: 10 }));
      return (raw as unknown[]).map(parseUser).filter((u): u is JiraUser => Boolean(u));
    },
    async addRequestParticipants(issueKey, accountIds) {
      if (!accountIds.length) return;
      await call(`add participants to ${issueKey}`, () => serviceDesk.request.addRequestParticipants({ issueIdOrKey: issueKey, accountIds }));
    },
    async getRequestParticipants(issueKey) {
      const out: JiraUser[] = [];
      // Pages of 50 (the API's default limit); a request with more than 500 participants is not a mail thread.
      for (let start = 0; start < 500; start += 50) {
        const page = await call(`get participants of ${issueKey}`, () => serviceDesk.request.getRequestParticipants({ issueIdOrKey: issueKey, start, limit: 50 }));
        const values = ((page as { values?: unknown[] }).values ?? []).map(parseUser).filter((u): u is JiraUser => Boolean(u));
        out.push(...values);
        if ((page as { isLastPage?: boolean }).isLastPage !== false || !values.length) break;
      }
      return out;
    },
    async addAttachments(issueKey, files) {
      if (!files.length) return;
      await call(`attach to ${issueKey}`, () =>
        cloud.issueAttachments.addAttachment({ issueIdOrKey: issueKey, attachments: files.map((f) => ({ filename: f.filename, content: f.content })) }),
      );
    },
    async getUser(accountId) {
      try {
        return parseUser(await call(`get user ${accountId}`, () => cloud.users.getUser({ accountId })));
      } catch (e) {
        if (e instanceof PermanentError) return undefined;
        throw e;
      }
    },
    async addAdfComment(issueKey, text, options) {
      const properties = options.serviceDesk ? [{ key: 'sd.public.comment', value: { internal: options.internal } }] : undefined;
      await call(`comment on ${issueKey}`, () => cloud.issueComments.addComment({ issueIdOrKey: issueKey, body: adf(text) as never, properties }));
    },
    async recentCommentContains(issueKey, marker) {
      const page = await call(`read comments of ${issueKey}`, () =>
        cloud.issueComments.getComments({ issueIdOrKey: issueKey, orderBy: '-created', maxResults: 100 }),
      );
      return ((page as { comments?: Array<{ body?: unknown }> }).comments ?? []).some((c) => adfText(c.body).includes(marker));
    },
    async listPriorities() {
      const page = await call('list priorities', () => cloud.issuePriorities.searchPriorities({ maxResults: '100' }));
      return ((page as { values?: Array<{ id?: string; name?: string }> }).values ?? [])
        .filter((p): p is { id: string; name: string } => typeof p.id === 'string' && typeof p.name === 'string')
        .map((p) => ({ id: p.id, name: p.name }));
    },
    async setPriority(issueKey, priorityId) {
      await call(`set the priority of ${issueKey}`, () => cloud.issues.editIssue({ issueIdOrKey: issueKey, fields: { priority: { id: priorityId } } }));
    },
    async assignIssue(issueKey, accountId) {
      await call(`assign ${issueKey}`, () => cloud.issues.assignIssue({ issueIdOrKey: issueKey, accountId }));
    },
    async findUsersByEmail(email) {
      const found = await call('search users', () => cloud.userSearch.findUsers({ query: email, maxResults: 10 }));
      const users = (found as unknown[]).map(parseUser).filter((u): u is JiraUser => Boolean(u));
      // Visible addresses must match exactly; a hidden one was matched by Jira itself, so one hit is taken as it.
      const exact = users.filter((u) => u.emailAddress?.toLowerCase() === email.toLowerCase());
      return exact.length > 0 ? exact : users.length === 1 && !users[0]!.emailAddress ? users : [];
    },
    async userHasPermissions(accountId, issueKey, permissions) {
      const users = await call(`check permissions on ${issueKey}`, () =>
        cloud.userSearch.findUsersWithAllPermissions({ accountId, issueKey, permissions: permissions.join(',') }),
      );
      return (users as Array<{ accountId?: string }>).some((u) => u.accountId === accountId);
    },
  };
}

/** The text of an ADF document (or a plain string body), for looking a marker up. */
function adfText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (!node || typeof node !== 'object') return '';
  const n = node as { text?: unknown; content?: unknown };
  return (typeof n.text === 'string' ? n.text : '') + (Array.isArray(n.content) ? n.content.map(adfText).join('') : '');
}

/**
 * "Test Jira connection": who the site's credentials sign in as (GET /rest/api/3/myself, "Returns details for the
 * current user", Jira Cloud REST v3). Any failure is an answer in words, never an exception.
 */
export async function testJiraConnection(site: JiraSiteCredentials, timeoutMs = defaultJiraTimeoutMs): Promise<{ ok: true; accountId?: string; displayName?: string } | { ok: false; reason: string }> {
  const cloud = createCloudClient({ host: site.baseUrl, auth: { type: 'basic', email: site.email, apiToken: site.apiToken }, retry: { maxAttempts: 1 }, onSchemaMismatch: 'silent' });
  try {
    const me = (await callJira('the connection test (GET /rest/api/3/myself)', timeoutMs, () => cloud.myself.getCurrentUser())) as { accountId?: string; displayName?: string };
    return { ok: true, accountId: me.accountId, displayName: me.displayName };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { ok: false, reason: /fetch failed|ECONNREFUSED|ENOTFOUND|getaddrinfo/i.test(reason) ? `Jira at ${site.baseUrl} could not be reached (${reason.slice(0, 120)})` : reason.slice(0, 300) };
  }
}

/** An Atlassian Document Format document of plain paragraphs (REST v3 comments take ADF). */
export function adf(text: string) {
  return {
    type: 'doc',
    version: 1,
    content: text.split(/\n{2,}/).map((para) => ({
      type: 'paragraph',
      content: para
        .split('\n')
        .flatMap((line, i) => (i === 0 ? [] : [{ type: 'hardBreak' }]).concat(line ? [{ type: 'text', text: line }] as never[] : [])),
    })),
  };
}

/**
 * A Jira error answer that is neither permanent nor throttling (5xx, 408): transient, the host retries the job.
 * Made once, in callJira, so callers see the app's error types only: PermanentError (`jira_not_found`,
 * `jira_forbidden`, `jira_rejected`), ThrottledError, DeadlineError or this, each with Jira's `status`.
 */
export class JiraRequestError extends BridgeError {
  override name = 'JiraRequestError';
  declare readonly status: number;
  constructor(message: string, status: number, cause?: unknown) {
    super(message, 'jira_failed', { status, cause });
  }
}

/**
 * One Jira call under a deadline, with Jira's errors mapped to the app's. jira.js 6 calls the global `fetch` with
 * no signal and has no timeout option (node_modules/jira.js/dist/core/createClient.js `doRequest`), so the call
 * cannot be aborted from here: the job stops waiting at the deadline and the socket closes when Jira answers or
 * the connection dies. Like a dropped connection, a timed-out write (a comment) may still have been made.
 */
async function callJira<T>(what: string, timeoutMs: number, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError('jira', `Jira: ${what}`, timeoutMs, 'JIRA_TIMEOUT_SECONDS')), timeoutMs);
  });
  try {
    return await Promise.race([run(), deadline]);
  } catch (e) {
    if (e instanceof DeadlineError) throw e;
    if (isApiError(e)) (e.status === 404 ? log.info : log.warn)('jira.error', { status: e.status, call: what });
    if (isRateLimitError(e)) {
      const retryAfterMs = e.retryAfterMs;
      throw new ThrottledError(`Jira throttled ${what}`, retryAfterMs && retryAfterMs > 0 ? Math.ceil(retryAfterMs / 1000) : 30, { status: e.status, cause: e });
    }
    if (isNotFoundError(e)) throw new PermanentError(`Jira: ${what}: not found or not visible to the integration's account`, 'jira_not_found', {}, { status: 404, cause: e });
    if (isApiError(e)) {
      const status = e.status;
      if (status === 401 || status === 403) {
        throw new PermanentError(`Jira refused ${what} (${status}): check the site's Jira e-mail, API token and project permissions`, 'jira_forbidden', {}, { status, cause: e });
      }
      if (status >= 400 && status < 500) throw new PermanentError(`Jira rejected ${what} (${status})`, 'jira_rejected', { status }, { status, cause: e });
      // 5xx (and 408): Jira's own failure, transient; the host retries the job.
      throw new JiraRequestError(`Jira failed ${what} (${status}): ${e.message.slice(0, 200)}`, status, e);
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
