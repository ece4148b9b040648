// Users of the tenant (graph-contract §5, §6): look people up by UPN / object id or by e-mail address in `$batch`es,
// and read the signed-in service user's own profile, mailbox purpose and licences.
import type { LicenseDetails, MailboxSettings, User } from '@microsoft/microsoft-graph-types';
import { graphKey, type BatchRequest, type Graph } from './client.js';

/** What a lookup reads of a person: enough to bind them into a chat and to recognise guests. */
export type UserSummary = Pick<User, 'userPrincipalName' | 'mail' | 'displayName' | 'userType'> & { id: string };

/** `$select` of every lookup: a smaller answer, and one resource unit less per request (throttling-limits). */
const summarySelect = 'id,userPrincipalName,mail,displayName,userType';

/**
 * One inner answer of a `$batch`, tied back to the input it answers (`index`). Graph answers with status 200 even
 * when inner requests fail and may answer in any order (json-batching), so each lookup has its own status, body
 * and headers (`Retry-After` of an inner 429), in the order Graph sent them.
 */
export interface BatchAnswer<T> {
  index: number;
  status: number;
  body: T | undefined;
  headers: Record<string, string> | undefined;
}

/** json-batching: "JSON batch requests are currently limited to 20 individual requests." */
const batchLimit = 20;

/** GETs in `$batch`es of at most 20, answers tagged with the index of the url they answer (unknown ids dropped). */
async function batchGets<T>(graph: Graph, urls: string[]): Promise<BatchAnswer<T>[]> {
  const answers: BatchAnswer<T>[] = [];
  for (let start = 0; start < urls.length; start += batchLimit) {
    const chunk = urls.slice(start, start + batchLimit);
    const requests: BatchRequest[] = chunk.map((url, i) => ({ id: String(i + 1), method: 'GET', url }));
    for (const response of await graph.batch(requests)) {
      const offset = Number(response.id) - 1;
      if (!Number.isInteger(offset) || offset < 0 || offset >= chunk.length) continue;
      answers.push({ index: start + offset, status: response.status, body: response.body as T | undefined, headers: response.headers });
    }
  }
  return answers;
}

/** The request of getUsersByKey and findUsersByEmail, as a dry run lists it (admin/dryRun.ts). */
export const userLookupsCall = 'POST /$batch';

/**
 * GET /users/{id | userPrincipalName}?$select=… for each key, in `$batch`es of 20
 * (learn.microsoft.com/graph/api/user-get, learn.microsoft.com/graph/json-batching).
 * Permission: delegated User.ReadBasic.All (least, enough for these properties), User.Read.All.
 * A key that is no user's id or UPN answers 404. Guest UPNs contain `#EXT#`, encoded by graphKey (graph-contract §5).
 * Inner 429s are returned, not retried (the SDK does not retry inside a 200 batch): the caller decides.
 */
export async function getUsersByKey(graph: Graph, keys: string[]): Promise<BatchAnswer<UserSummary>[]> {
  return batchGets<UserSummary>(
    graph,
    keys.map((key) => `/users/${graphKey(key)}?$select=${summarySelect}`),
  );
}

/** The ways to find a user by e-mail address, in the order worth trying (graph-contract §5, "Recommended lookup order"). */
export const emailMatches = ['mail', 'proxyAddresses', 'otherMails'] as const;
export type EmailMatch = (typeof emailMatches)[number];

/** OData string literal: single quotes doubled. */
function odataString(value: string): string {
  return value.replace(/'/g, "''");
}

/**
 * The `$filter` for one kind of match. All three work without advanced query parameters (filter-directory-objects:
 * `eq` on mail, `any(x:x eq …)` on the proxyAddresses and otherMails collections); proxyAddresses hold `smtp:`
 * prefixed addresses (`SMTP:` for the primary one; Graph compares them case-insensitively).
 */
export function emailFilter(match: EmailMatch, email: string): string {
  switch (match) {
    case 'mail':
      return `mail eq '${odataString(email)}'`;
    case 'proxyAddresses':
      return `proxyAddresses/any(x:x eq '${odataString(`smtp:${email}`)}')`;
    case 'otherMails':
      return `otherMails/any(x:x eq '${odataString(email)}')`;
  }
}

/**
 * GET /users?$filter=…&$select=… for each address, in `$batch`es of 20 (learn.microsoft.com/graph/api/user-list).
 * Permission: delegated User.ReadBasic.All (least), User.Read.All; a tenant that granted less answers 403 per
 * inner request. An answer holds 0..n users: more than one means the address is ambiguous (graph-contract §5).
 * Limits: GET users costs 2 resource units, 1 with `$select` (throttling-limits); inner 429s come back as answers.
 */
export async function findUsersByEmail(graph: Graph, match: EmailMatch, emails: string[]): Promise<BatchAnswer<{ value?: UserSummary[] }>[]> {
  return batchGets<{ value?: UserSummary[] }>(
    graph,
    emails.map((email) => `/users?$filter=${encodeURIComponent(emailFilter(match, email))}&$select=${summarySelect}`),
  );
}

/** The signed-in user's addresses: which Bookings staff entry is the service user's own. */
export type MyAddresses = { id: string; userPrincipalName: string; mail?: string | null };

/**
 * GET /me?$select=id,userPrincipalName,mail (learn.microsoft.com/graph/api/user-get).
 * Permission: delegated User.Read. Delegated tokens only: `/me` has no meaning app-only.
 */
export async function getMyAddresses(graph: Graph): Promise<MyAddresses> {
  return (await graph.get<MyAddresses>('/me?$select=id,userPrincipalName,mail')).body;
}

/** The signed-in user's profile fields the service-user check reads. */
export type MyProfile = Pick<User, 'displayName' | 'accountEnabled'> & { id: string; userPrincipalName: string };

/**
 * GET /me?$select=id,userPrincipalName,displayName,accountEnabled (learn.microsoft.com/graph/api/user-get).
 * Permission: delegated User.Read (the signed-in user's own profile; `accountEnabled` needs $select). Delegated
 * tokens only: `/me` has no meaning app-only.
 */
export async function getMyProfile(graph: Graph): Promise<MyProfile> {
  return (await graph.get<MyProfile>('/me?$select=id,userPrincipalName,displayName,accountEnabled')).body;
}

/**
 * GET /me/mailboxSettings (learn.microsoft.com/graph/api/user-get-mailboxsettings).
 * Permission: delegated MailboxSettings.Read (least), MailboxSettings.ReadWrite. `userPurpose` (user, linked,
 * shared, room, equipment, …) is the source of truth for shared mailboxes (graph-contract §6). An account without an
 * Exchange Online mailbox cannot answer it.
 */
export async function getMyMailboxSettings(graph: Graph): Promise<MailboxSettings> {
  return (await graph.get<MailboxSettings>('/me/mailboxSettings')).body;
}

/**
 * GET /me/licenseDetails (learn.microsoft.com/graph/api/user-list-licensedetails): licences assigned directly and
 * through groups, each with its service plans and their provisioning status.
 * Permission: delegated User.Read for `/me` (LicenseAssignment.Read.All least in general); application: not supported.
 */
export async function listMyLicenseDetails(graph: Graph): Promise<LicenseDetails[]> {
  return (await graph.get<{ value: LicenseDetails[] }>('/me/licenseDetails')).body.value;
}
