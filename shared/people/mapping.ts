// Atlassian accountId → Entra user, per tenant. Jira Cloud usually hides e-mails, so a mapping comes from, in
// order: a stored mapping (manual, self-link or an earlier lookup), then a lookup by e-mail when Jira shows one
// (batched: `mail`, then `proxyAddresses`, then `otherMails`, graph-contract §5). Whoever is left is unmapped, and
// is reported to the issue once and listed by the admin API. Resolved mappings are stored, so the next chat with
// the same people needs no lookups.
import type { Graph, BatchRequest } from '../graph/client.js';
import type { JiraUser } from '../jira/issue.js';
import type { Runtime } from '../runtime.js';
import { listPartition, readEntity, tableNames, upsertEntity, deleteEntity } from '../storage/tables.js';

export type MappingSource = 'email' | 'manual' | 'self-link';

export interface MappedUser {
  accountId: string;
  /** Entra object id, or a UPN for manual mappings entered by UPN (Graph binds either). */
  entraObjectId: string;
  userPrincipalName?: string;
  mail?: string;
  displayName?: string;
  isGuest: boolean;
  source: MappingSource;
}

export interface UnmappedUser {
  accountId: string;
  displayName?: string;
  reason: string;
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
  /** The e-mail that matched no one (lower case), so a changed address is looked up again at once. */
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
  const unmapped: UnmappedUser[] = [];
  const now = deps.clock.now().getTime();
  people.forEach((original, i) => {
    const person = { ...original, emailAddress: emails[i] };
    const row = stored[i];
    const miss = misses[i];
    const recentMiss = miss?.email === person.emailAddress?.toLowerCase() && now - Date.parse(miss?.seenAt ?? '') < negativeLookupTtlMs;
    if (row) mapped.push({ ...withoutKeys(row), accountId: person.accountId });
    else if (recentMiss) unmapped.push({ accountId: person.accountId, displayName: person.displayName, reason: miss!.reason });
    else if (person.emailAddress) toLookUp.push(person);
    else unmapped.push({ accountId: person.accountId, displayName: person.displayName, reason: 'Jira hides their e-mail address and no manual mapping or self-link exists' });
  });

  const found = await lookUpByEmail(graph, toLookUp);
  for (const person of toLookUp) {
    const result = found.get(person.accountId);
    if (result && 'user' in result) {
      const user: MappedUser = { ...result.user, accountId: person.accountId, source: 'email' };
      mapped.push(user);
      await saveMapping(deps, tenantId, user);
    } else {
      unmapped.push({ accountId: person.accountId, displayName: person.displayName, reason: result?.reason ?? 'no Microsoft 365 user has their Jira e-mail address' });
    }
  }
  const emailOf = new Map(people.map((p, i) => [p.accountId, emails[i]?.toLowerCase()]));
  await Promise.all(
    unmapped.map((u) =>
      upsertEntity<UnmappedRow>(table, unmappedPartition(tenantId), u.accountId, {
        displayName: u.displayName,
        email: emailOf.get(u.accountId),
        reason: u.reason,
        siteId: context.siteId,
        lastIssueKey: context.issueKey,
        seenAt: deps.clock.now().toISOString(),
      }),
    ),
  );
  return { mapped, unmapped };
}

type Lookup = { user: Omit<MappedUser, 'accountId' | 'source'> } | { reason: string };

interface GraphUser {
  id: string;
  userPrincipalName?: string;
  mail?: string;
  displayName?: string;
  userType?: string;
}

/** At most one `$batch` per lookup stage for up to 20 people; later stages only for those still unresolved. */
async function lookUpByEmail(graph: Graph, people: JiraUser[]): Promise<Map<string, Lookup>> {
  const results = new Map<string, Lookup>();
  const filters: ((email: string) => string)[] = [
    (e) => `mail eq '${odataString(e)}'`,
    (e) => `proxyAddresses/any(x:x eq '${odataString(`smtp:${e}`)}')`,
    (e) => `otherMails/any(x:x eq '${odataString(e)}')`,
  ];
  let pending = people;
  for (const filter of filters) {
    if (pending.length === 0) break;
    const next: JiraUser[] = [];
    for (let start = 0; start < pending.length; start += 20) {
      const chunk = pending.slice(start, start + 20);
      const requests: BatchRequest[] = chunk.map((p, i) => ({
        id: String(i + 1),
        method: 'GET',
        url: `/users?$filter=${encodeURIComponent(filter(p.emailAddress!))}&$select=id,userPrincipalName,mail,displayName,userType`,
      }));
      const responses = await graph.batch(requests);
      for (const response of responses) {
        const person = chunk[Number(response.id) - 1];
        if (!person) continue;
        const users = (response.body as { value?: GraphUser[] } | undefined)?.value;
        if (response.status === 200 && users?.length === 1) {
          const u = users[0]!;
          results.set(person.accountId, {
            user: { entraObjectId: u.id, userPrincipalName: u.userPrincipalName, mail: u.mail, displayName: u.displayName, isGuest: u.userType === 'Guest' },
          });
        } else if (response.status === 200 && users && users.length > 1) {
          results.set(person.accountId, { reason: `${users.length} Microsoft 365 users share their e-mail address; map them manually` });
        } else if (response.status === 200 || response.status === 403) {
          // 403: this kind of lookup needs a scope the tenant did not grant (User.Read.All); try the next kind.
          next.push(person);
        } else if (response.status === 429) {
          // Inner 429s are not retried by the SDK (outer 200); leave the person unmapped this time, retried next job.
          results.set(person.accountId, { reason: 'the lookup was throttled by Microsoft Graph; it is retried on the next update' });
        } else {
          results.set(person.accountId, { reason: `the lookup failed with ${response.status}` });
        }
      }
    }
    pending = next;
  }
  return results;
}

/** OData string literal: single quotes doubled. */
function odataString(value: string): string {
  return value.replace(/'/g, "''");
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

function withoutKeys<T extends object>(row: T & { partitionKey?: string; rowKey?: string; etag?: string; updatedAt?: string }) {
  const { partitionKey: _p, rowKey: _r, etag: _e, updatedAt: _u, ...rest } = row;
  return rest as Omit<T, 'partitionKey' | 'rowKey' | 'etag' | 'updatedAt'>;
}

/** CSV for export/import: `accountId,user,guest` (user = Entra object id or UPN). */
export function mappingsToCsv(mappings: MappedUser[]): string {
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return ['accountId,user,guest,source', ...mappings.map((m) => [m.accountId, m.userPrincipalName ?? m.entraObjectId, String(m.isGuest), m.source].map(cell).join(','))].join('\n') + '\n';
}

export function parseMappingCsv(text: string): { rows: { accountId: string; user: string; guest: boolean }[]; errors: string[] } {
  const rows: { accountId: string; user: string; guest: boolean }[] = [];
  const errors: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  lines.forEach((line, index) => {
    const cells = parseCsvLine(line).map((c) => c.trim());
    if (index === 0 && cells[0]?.toLowerCase() === 'accountid') return;
    const [accountId, user, guest] = cells;
    if (!accountId || !user) errors.push(`line ${index + 1}: needs accountId and user`);
    else if (!/^[A-Za-z0-9:_-]{1,128}$/.test(accountId)) errors.push(`line ${index + 1}: ${JSON.stringify(accountId.slice(0, 40))} is not an Atlassian accountId`);
    else if (!/^[0-9a-f-]{36}$/i.test(user) && !/^[^@\s]+@[^@\s]+$/.test(user)) errors.push(`line ${index + 1}: user must be an Entra object id or a user principal name`);
    else rows.push({ accountId, user, guest: /^(true|yes|1)$/i.test(guest ?? '') });
  });
  return { rows, errors };
}

function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted && c === '"' && line[i + 1] === '"') {
      current += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      cells.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  cells.push(current);
  return cells;
}
