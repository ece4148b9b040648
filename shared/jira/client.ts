// The Jira calls jobs make, through jira.js (Cloud platform + Service Management clients), behind a small interface
// so workflows can be tested with a hand-written fake. The base URL always comes from the site's settings, never
// from a payload. Jira errors become the app's error types: a deleted or hidden issue is permanent, 429 is
// throttled, the rest is transient.
import { createCloudClient, createServiceDeskClient } from 'jira.js';
import { isApiError, isNotFoundError, isRateLimitError } from 'jira.js/core';
import { PermanentError, ThrottledError } from '../errors.js';
import { defaultFieldIds, parseIssue, parseUser, type JiraFieldIds, type JiraIssue, type JiraUser } from './issue.js';

export interface RemoteLink {
  /** Stable id so a repeat updates the same link instead of adding another (Jira upserts on globalId). */
  globalId: string;
  url: string;
  title: string;
  summary?: string;
  iconUrl?: string;
}

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
}

export interface JiraSiteCredentials {
  baseUrl: string;
  email: string;
  apiToken: string;
}

export function issueUrl(baseUrl: string, issueKey: string): string {
  return `${baseUrl}/browse/${encodeURIComponent(issueKey)}`;
}

export function createJiraApi(site: JiraSiteCredentials): JiraApi {
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
            'summary', 'description', 'issuetype', 'project', 'priority', 'status', 'resolution', 'labels',
            'assignee', 'reporter', fieldIds.requestType, fieldIds.requestParticipants, fieldIds.responders,
          ],
        }),
      );
      const issue = parseIssue(raw, fieldIds);
      if (!issue) throw new PermanentError(`Jira returned no usable issue for ${issueKey}`, 'jira-issue-unreadable');
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
    async getUser(accountId) {
      try {
        return parseUser(await call(`get user ${accountId}`, () => cloud.users.getUser({ accountId })));
      } catch (e) {
        if (e instanceof PermanentError) return undefined;
        throw e;
      }
    },
  };
}

/**
 * "Test Jira connection": who the site's credentials sign in as (GET /rest/api/3/myself, "Returns details for the
 * current user", Jira Cloud REST v3). Any failure is an answer in words, never an exception.
 */
export async function testJiraConnection(site: JiraSiteCredentials): Promise<{ ok: true; accountId?: string; displayName?: string } | { ok: false; reason: string }> {
  const cloud = createCloudClient({ host: site.baseUrl, auth: { type: 'basic', email: site.email, apiToken: site.apiToken }, retry: { maxAttempts: 1 }, onSchemaMismatch: 'silent' });
  try {
    const me = (await call('the connection test (GET /rest/api/3/myself)', () => cloud.myself.getCurrentUser())) as { accountId?: string; displayName?: string };
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

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isRateLimitError(e)) {
      const retryAfterMs = e.retryAfterMs;
      throw new ThrottledError(`Jira throttled ${what}`, retryAfterMs && retryAfterMs > 0 ? Math.ceil(retryAfterMs / 1000) : 30);
    }
    if (isNotFoundError(e)) throw new PermanentError(`Jira: ${what}: not found or not visible to the integration's account`, 'jira-not-found');
    if (isApiError(e)) {
      const status = e.status;
      if (status === 401 || status === 403) {
        throw new PermanentError(`Jira refused ${what} (${status}): check the site's Jira e-mail, API token and project permissions`, 'jira-forbidden');
      }
      if (status >= 400 && status < 500) throw new PermanentError(`Jira rejected ${what} (${status})`, 'jira-rejected', { status });
    }
    throw e;
  }
}
