// Atlassian accountId → Entra user, per tenant. Jira Cloud usually hides e-mails, so a mapping comes from, in
// order: a stored mapping (manual, self-link or an earlier lookup), then a lookup by e-mail when Jira shows one
// (batched: `mail`, then `proxyAddresses`, then `otherMails`, graph-contract §5). Whoever is left is unmapped, and
// is reported to the issue once and listed by the admin API. Resolved mappings are stored, so the next chat with
// the same people needs no lookups.
//
// Only a definite answer is remembered: "no user has this e-mail" (or several have it) is kept for a day so every
// update of the issue does not look the person up again. An inner `$batch` failure that may pass (429, 5xx:
// "Requests in a batch are evaluated individually ... it fails with a status of 429", graph-contract §5) is not an
// answer: the job goes back to the queue with the inner Retry-After and looks the person up again, rather than
// leaving them out of the chat. A manual mapping entered by UPN is resolved to the Entra object id on first use
// and stored with it, because chat members are compared by object id (GET /chats/{id}/members `userId`).
import { readCsv, writeCsv } from '../text/csv.js';
import { isGuid } from '../ids.js';
import { ThrottledError } from '../errors.js';
import type { Graph } from '../graph/client.js';
import { emailMatches, findUsersByEmail, getUsersByKey, type BatchAnswer, type UserSummary } from '../graph/users.js';
import type { JiraTeam, JiraUser } from '../jira/issue.js';
import type { Runtime } from '../runtime.js';
import { listPartition, readEntity, tableNames, upsertEntity, deleteEntity } from '../storage/tables.js';

export type MappingSource = 'email' | 'manual' | 'self-link';

export interface MappedUser {
  accountId: string;
  /**
   * Entra object id (GUID). A manual mapping may be saved with a UPN; `mapPeople` resolves it to the object id
   * before anyone compares it with chat members, and stores the id.
   */
  entraObjectId: string;
  userPrincipalName?: string;
  mail?: string;
  displayName?: string;
  isGuest: boolean;
  source: MappingSource;
}

export interface UnmappedUser {
  /** The Atlassian accountId, or `team:<id>` for a responder team (see `teamsAsUnmapped`). */
  accountId: string;
  displayName?: string;
  reason: string;
  /** A responder team, not a person: it gets no self-link invitation. */
  team?: boolean;
}

export interface MappingResult {
  mapped: MappedUser[];
  unmapped: UnmappedUser[];
}

type MappingDeps = Pick<Runtime, 'tables' | 'clock'>;

const reversePartition = (tenantId: string) => `rev|${tenantId}`;
const unmappedPartition = (tenantId: string) => `unmapped|${tenantId}`;

interface StoredMapping extends Omit<MappedUser, 'accountId'> {
  updatedAt: string;
}

interface UnmappedRow {
  displayName?: string;
  /**
   * The e-mail that definitely matched no one (or several people), lower case: the negative-lookup cache key. Set
   * only for such definite answers, so a row without it never stops a lookup; a changed address is looked up again.
   */
  email?: string;
  reason: string;
  siteId: string;
  lastIssueKey: string;
  seenAt: string;
}

/** How long an e-mail that matched no Microsoft 365 user is not looked up again. */
const negativeLookupTtlMs = 24 * 3600 * 1000;

export interface MappingContext {
  siteId: string;
  issueKey: string;
  /**
   * Reads a person's e-mail from Jira when the issue did not carry it (JSM responders come as identity ARIs
   * without one); answers undefined when Jira hides it.
   */
  emailOf?: (accountId: string) => Promise<string | undefined>;
  /** Responder teams of the issue (when the project puts responders in the chat): reported, never skipped. */
  teams?: readonly JiraTeam[];
}

export async function mapPeople(deps: MappingDeps, graph: Graph, tenantId: string, people: JiraUser[], context: MappingContext): Promise<MappingResult> {
  const table = await deps.tables.table(tableNames.userMappings);
  const stored = await Promise.all(people.map((p) => readEntity<StoredMapping>(table, tenantId, p.accountId)));
  const emails = await Promise.all(
    people.map((p, i) => (stored[i] || p.emailAddress || !context.emailOf ? p.emailAddress : context.emailOf(p.accountId).catch(() => undefined))),
  );
  // People whose e-mail matched no one recently are not looked up again on every update of the issue.
  const misses = await Promise.all(
    people.map((p, i) => (stored[i] || !emails[i] ? undefined : readEntity<UnmappedRow>(table, unmappedPartition(tenantId), p.accountId))),
  );
  const mapped: MappedUser[] = [];
  const toLookUp: JiraUser[] = [];
  const toResolve: { person: JiraUser; row: StoredMapping }[] = [];
  const unmapped: UnmappedUser[] = [];
  const definite = new Set<string>();
  const now = deps.clock.now().getTime();
  people.forEach((original, i) => {
    const person = { ...original, emailAddress: emails[i] };
    const row = stored[i];
    const miss = misses[i];
    const recentMiss = Boolean(miss?.email) && miss?.email === person.emailAddress?.toLowerCase() && now - Date.parse(miss?.seenAt ?? '') < negativeLookupTtlMs;
    if (row && !isObjectId(row.entraObjectId)) toResolve.push({ person, row });
    else if (row) mapped.push({ ...withoutKeys(row), accountId: person.accountId });
    else if (recentMiss) {
      unmapped.push({ accountId: person.accountId, displayName: person.displayName, reason: miss!.reason });
      definite.add(person.accountId);
    } else if (person.emailAddress) toLookUp.push(person);
    else unmapped.push({ accountId: person.accountId, displayName: person.displayName, reason: 'Jira hides their e-mail address and no manual mapping or self-link exists' });
  });

  const transient: TransientMiss[] = [];
  const resolved = await resolveManual(graph, toResolve.map((r) => ({ accountId: r.person.accountId, value: r.row.entraObjectId })), transient);
  for (const { person, row } of toResolve) {
    const result = resolved.get(person.accountId);
    if (result && 'user' in result) {
      const user: MappedUser = { ...withoutKeys(row), ...result.user, isGuest: result.user.isGuest || row.isGuest, accountId: person.accountId, source: row.source };
      mapped.push(user);
      // Store the object id, so member comparisons and the reverse lookup (chat → Jira) work from now on.
      await deleteEntity(table, reversePartition(tenantId), row.entraObjectId);
      await saveMapping(deps, tenantId, user);
    } else if (result) {
      unmapped.push({ accountId: person.accountId, displayName: person.displayName ?? row.displayName, reason: result.reason });
    }
  }

  const found = await lookUpByEmail(graph, toLookUp, transient);
  for (const person of toLookUp) {
    const result = found.get(person.accountId);
    if (result && 'user' in result) {
      const user: MappedUser = { ...result.user, accountId: person.accountId, source: 'email' };
      mapped.push(user);
      await saveMapping(deps, tenantId, user);
    } else if (result) {
      unmapped.push({ accountId: person.accountId, displayName: person.displayName, reason: result.reason });
      if (result.definite) definite.add(person.accountId);
    }
  }
  unmapped.push(...teamsAsUnmapped(context.teams ?? []));
  const emailOf = new Map(people.map((p, i) => [p.accountId, emails[i]?.toLowerCase()]));
  await Promise.all(
    unmapped.map((u) =>
      upsertEntity<UnmappedRow>(table, unmappedPartition(tenantId), u.accountId, {
        displayName: u.displayName,
        // Only a definite "no such user" is a cache entry (see UnmappedRow.email).
        email: definite.has(u.accountId) ? emailOf.get(u.accountId) : undefined,
        reason: u.reason,
        siteId: context.siteId,
        lastIssueKey: context.issueKey,
        seenAt: deps.clock.now().toISOString(),
      }),
    ),
  );
  if (transient.length) {
    // Nobody is left out for a failure that may pass: the job waits as Graph asks and looks them up again.
    const wait = Math.min(maxTransientWaitSeconds, Math.max(1, ...transient.map((t) => t.retryAfterSeconds)));
    const statuses = [...new Set(transient.map((t) => t.status))].join(', ');
    throw new ThrottledError(`${transient.length} user lookup(s) failed with ${statuses} inside the Graph $batch; looked up again in ${wait}s`, wait);
  }
  return { mapped, unmapped };
}

/** Responder teams are not people: each is named in the unmapped report with why its members are not in the chat. */
export function teamsAsUnmapped(teams: readonly { id: string; name?: string }[]): UnmappedUser[] {
  return teams.map((t) => ({
    accountId: `team:${t.id}`,
    displayName: t.name ? `Team ${t.name}` : `Team ${t.id}`,
    team: true,
    // Jira's REST API has no call that lists a team's members: Atlassian's Teams REST API does, but it needs the
    // organisation id and an organisation admin's API token, and "Forge and OAuth 2.0 apps cannot reach these
    // resources" (developer.atlassian.com/platform/teams/components/team-public-rest-api). So a team is reported.
    reason: 'a responder team, whose members the bridge cannot read from Jira; add the people who should be in the chat as responders or request participants',
  }));
}

/** Graph object ids are GUIDs; anything else stored as a mapping (a UPN or e-mail) still needs resolving. */
export function isObjectId(value: string): boolean {
  return isGuid(value);
}

/** The longest a transient lookup failure makes a job wait before it looks again. */
const maxTransientWaitSeconds = 60;

interface TransientMiss {
  status: number;
  retryAfterSeconds: number;
}

/** 429 and 5xx inside a `$batch` may pass; Graph's outer status is 200 regardless (graph-contract §5). */
function isTransient(status: number): boolean {
  return status === 429 || status >= 500 || status === 0;
}

function innerRetryAfter(response: BatchAnswer<unknown>): number {
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const seconds = Number(headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 5;
}

/**
 * Manual mappings given by UPN or e-mail → the user: `GET /users/{upn}` (graph-contract §5), 20 per `$batch`;
 * a value no user has as UPN is then tried as an e-mail address (mail, proxyAddresses, otherMails).
 */
async function resolveManual(graph: Graph, rows: { accountId: string; value: string }[], transient: TransientMiss[]): Promise<Map<string, Lookup>> {
  const results = new Map<string, Lookup>();
  const notUpn: JiraUser[] = [];
  for (const response of await getUsersByKey(graph, rows.map((r) => r.value))) {
    const row = rows[response.index]!;
    const u = response.body;
    if (response.status === 200 && u?.id) {
      results.set(row.accountId, { user: found(u) });
    } else if (isTransient(response.status)) {
      transient.push({ status: response.status, retryAfterSeconds: innerRetryAfter(response) });
    } else if (response.status === 404) {
      notUpn.push({ accountId: row.accountId, emailAddress: row.value });
    } else {
      results.set(row.accountId, { reason: `resolving the manual mapping ${row.value} failed with ${response.status}`, definite: false });
    }
  }
  const byEmail = await lookUpByEmail(graph, notUpn, transient);
  for (const person of notUpn) {
    const result = byEmail.get(person.accountId);
    if (result && 'user' in result) results.set(person.accountId, result);
    else if (result) {
      results.set(person.accountId, {
        reason: `the manual mapping names ${person.emailAddress}, which is neither the UPN nor an e-mail address of one user of this Microsoft 365 tenant (${result.reason}); correct the mapping`,
        definite: result.definite,
      });
    }
  }
  return results;
}

type Lookup = { user: Omit<MappedUser, 'accountId' | 'source'> } | { reason: string; definite: boolean };

/** A user Graph found, as a mapping keeps it (Graph's nulls as absent properties). */
function found(u: UserSummary): Omit<MappedUser, 'accountId' | 'source'> {
  return {
    entraObjectId: u.id,
    userPrincipalName: u.userPrincipalName ?? undefined,
    mail: u.mail ?? undefined,
    displayName: u.displayName ?? undefined,
    isGuest: u.userType === 'Guest',
  };
}

/** At most one `$batch` per lookup stage for up to 20 people; later stages only for those still unresolved. */
async function lookUpByEmail(graph: Graph, people: JiraUser[], transient: TransientMiss[]): Promise<Map<string, Lookup>> {
  const results = new Map<string, Lookup>();
  /** People for whom at least one kind of lookup answered (200); the others were only ever refused (403). */
  const answered = new Set<string>();
  let pending = people;
  for (const match of emailMatches) {
    if (pending.length === 0) break;
    const next: JiraUser[] = [];
    for (const response of await findUsersByEmail(graph, match, pending.map((p) => p.emailAddress!))) {
      const person = pending[response.index]!;
      const users = response.body?.value;
      if (response.status === 200) answered.add(person.accountId);
      if (response.status === 200 && users?.length === 1) {
        results.set(person.accountId, { user: found(users[0]!) });
      } else if (response.status === 200 && users && users.length > 1) {
        results.set(person.accountId, { reason: `${users.length} Microsoft 365 users share their e-mail address; map them manually`, definite: true });
      } else if (response.status === 200 || response.status === 403) {
        // 403: this kind of lookup needs a scope the tenant did not grant (User.Read.All); try the next kind.
        next.push(person);
      } else if (isTransient(response.status)) {
        // Not an answer: the SDK does not retry inner failures (outer 200), so the job does (see mapPeople).
        transient.push({ status: response.status, retryAfterSeconds: innerRetryAfter(response) });
      } else {
        results.set(person.accountId, { reason: `the lookup failed with ${response.status}`, definite: false });
      }
    }
    pending = next;
  }
  for (const person of pending) {
    results.set(
      person.accountId,
      answered.has(person.accountId)
        ? { reason: 'no Microsoft 365 user has their Jira e-mail address', definite: true }
        : { reason: 'Microsoft Graph refused the user lookup (403): grant User.ReadBasic.All with the chats consent', definite: false },
    );
  }
  return results;
}

export async function saveMapping(deps: MappingDeps, tenantId: string, user: MappedUser): Promise<void> {
  const table = await deps.tables.table(tableNames.userMappings);
  const { accountId, ...rest } = user;
  const updatedAt = deps.clock.now().toISOString();
  await upsertEntity(table, tenantId, accountId, { ...rest, updatedAt });
  await upsertEntity(table, reversePartition(tenantId), user.entraObjectId, { accountId, source: user.source, updatedAt });
  await deleteEntity(table, unmappedPartition(tenantId), accountId);
}

export async function deleteMapping(deps: MappingDeps, tenantId: string, accountId: string): Promise<boolean> {
  const table = await deps.tables.table(tableNames.userMappings);
  const row = await readEntity<StoredMapping>(table, tenantId, accountId);
  if (!row) return false;
  await deleteEntity(table, reversePartition(tenantId), row.entraObjectId);
  return deleteEntity(table, tenantId, accountId);
}

export async function listMappings(deps: MappingDeps, tenantId: string): Promise<MappedUser[]> {
  const rows = await listPartition<StoredMapping>(await deps.tables.table(tableNames.userMappings), tenantId);
  return rows.map((r) => ({ ...withoutKeys(r), accountId: r.rowKey }));
}

export async function listUnmapped(deps: MappingDeps, tenantId: string) {
  const rows = await listPartition<UnmappedRow>(await deps.tables.table(tableNames.userMappings), unmappedPartition(tenantId));
  // The e-mail stays in storage for the lookup cache; the listing shows who and why.
  return rows.map(({ partitionKey: _p, rowKey, etag: _e, email: _m, ...rest }) => ({ accountId: rowKey, ...rest }));
}

/** The accountId an Entra user is mapped to (reverse direction), e.g. for chat → Jira. */
export async function accountIdFor(deps: MappingDeps, tenantId: string, entraObjectId: string): Promise<string | undefined> {
  const row = await readEntity<{ accountId: string }>(await deps.tables.table(tableNames.userMappings), reversePartition(tenantId), entraObjectId);
  return row?.accountId;
}

/**
 * The accountId an e-mail address belongs to through the stored mappings (mail → Jira: who sent this?): a mapping
 * whose Entra `mail` or `userPrincipalName` is the address, case-insensitively (Exchange addresses are). The
 * partition is read whole because Table storage compares strings case-sensitively; it holds one row per mapped
 * person of the tenant. Undefined when none or several mappings match (an ambiguous address names no one).
 */
export async function accountIdForAddress(deps: Pick<Runtime, 'tables'>, tenantId: string, address: string): Promise<string | undefined> {
  const want = address.trim().toLowerCase();
  if (!want) return undefined;
  const rows = await listPartition<StoredMapping>(await deps.tables.table(tableNames.userMappings), tenantId);
  const hits = new Set(rows.filter((r) => r.mail?.toLowerCase() === want || r.userPrincipalName?.toLowerCase() === want).map((r) => r.rowKey));
  return hits.size === 1 ? [...hits][0] : undefined;
}

function withoutKeys<T extends object>(row: T & { partitionKey?: string; rowKey?: string; etag?: string; updatedAt?: string }) {
  const { partitionKey: _p, rowKey: _r, etag: _e, updatedAt: _u, ...rest } = row;
  return rest as Omit<T, 'partitionKey' | 'rowKey' | 'etag' | 'updatedAt'>;
}

/** CSV for export/import: `accountId,user,guest` (user = Entra object id or UPN); the export adds `source`. */
export function mappingsToCsv(mappings: MappedUser[]): string {
  return writeCsv(['accountId', 'user', 'guest', 'source'], mappings.map((m) => [m.accountId, m.userPrincipalName ?? m.entraObjectId, String(m.isGuest), m.source]));
}

export function parseMappingCsv(text: string): { rows: { accountId: string; user: string; guest: boolean }[]; errors: string[] } {
  const rows: { accountId: string; user: string; guest: boolean }[] = [];
  const errors: string[] = [];
  const read = readCsv(text);
  if (!read.ok) return { rows, errors: [`line ${read.line}: ${read.message}`] };
  read.rows.forEach(({ line, cells: raw }, index) => {
    const cells = raw.map((c) => c.trim());
    if (cells.every((c) => c === '')) return;
    if (index === 0 && cells[0]?.toLowerCase() === 'accountid') return;
    const [accountId, user, guest] = cells;
    if (!accountId || !user) errors.push(`line ${line}: needs accountId and user`);
    else if (!/^[A-Za-z0-9:_-]{1,128}$/.test(accountId)) errors.push(`line ${line}: ${JSON.stringify(accountId.slice(0, 40))} is not an Atlassian accountId`);
    else if (!isGuid(user) && !/^[^@\s]+@[^@\s]+$/.test(user)) errors.push(`line ${line}: user must be an Entra object id or a user principal name`);
    else rows.push({ accountId, user, guest: /^(true|yes|1)$/i.test(guest ?? '') });
  });
  return { rows, errors };
}
