// Mail → Jira message sources: one per site + project (rows in `mailSources`, PK site id, RK project key). The
// settings an admin gives are validated here; the catch-up state (the delta link, the last poll) is kept on the
// same row, written with the row's ETag so a settings change and a poll never overwrite each other's columns.
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { deleteEntity, listPartition, readEntity, replaceIfMatch, tableNames, upsertEntity, type Entity, type TableAccess } from '../storage/tables.js';

const tenantId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an Entra tenant id (GUID)');
const domain = z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a mail domain such as spam.example');

export const mailSourceInputSchema = z
  .object({
    tenantId,
    /** `me` (the signed-in service user's own mailbox) or a shared mailbox's address. */
    mailbox: z.union([z.literal('me'), z.string().email('must be "me" or a mailbox address')]).default('me'),
    /** A folder id or a well-known folder name (inbox, archive…). */
    folder: z.string().min(1).max(512).regex(/^[A-Za-z0-9=_+\-.]+$/, 'must be a folder id or a well-known name such as inbox').default('inbox'),
    /** What happens to a handled message so a human can see it: marked read, moved, or left alone. */
    afterProcessing: z.enum(['mark-read', 'move', 'none']).default('mark-read'),
    moveToFolder: z.string().min(1).max(512).regex(/^[A-Za-z0-9=_+\-.]+$/).optional(),
    issueType: z.string().min(1).max(255).default('Task'),
    /** Attachments up to this size are uploaded; larger ones are listed on the issue (Jira Cloud's default cap is 1 GB; mail caps are far lower). */
    maxAttachmentBytes: z.number().int().min(0).max(150 * 1024 * 1024).default(10 * 1024 * 1024),
    blockedDomains: z.array(domain).max(500).default([]),
    /** Issues + comments one sender may cause per hour before further mail is skipped. */
    maxPerSenderPerHour: z.number().int().min(1).max(1000).default(20),
    enabled: z.boolean().default(true),
    /**
     * What a new mail raises: a plain issue, or (on a Jira Service Management project) a customer request raised on
     * behalf of the sender (POST /rest/servicedeskapi/request with `raiseOnBehalfOf`).
     */
    createAs: z.enum(['issue', 'request']).default('issue'),
    /** JSM: the service desk and request type of raised requests (ids as GET /rest/servicedeskapi/servicedesk lists them). */
    serviceDeskId: z.string().regex(/^\d{1,18}$/, 'must be a service desk id (digits)').optional(),
    requestTypeId: z.string().regex(/^\d{1,18}$/, 'must be a request type id (digits)').optional(),
    /**
     * JSM: a sender without a Jira account becomes a new customer (POST /rest/servicedeskapi/customer). Off by
     * default: a mailbox open to the internet would otherwise create an account for every address that writes.
     */
    allowNewCustomers: z.boolean().default(false),
  })
  .strict()
  .refine((s) => s.afterProcessing !== 'move' || !!s.moveToFolder, { message: 'moveToFolder is required when afterProcessing is "move"', path: ['moveToFolder'] })
  .refine((s) => s.createAs !== 'request' || !!s.serviceDeskId, { message: 'serviceDeskId is required when createAs is "request"', path: ['serviceDeskId'] })
  .refine((s) => s.createAs !== 'request' || !!s.requestTypeId, { message: 'requestTypeId is required when createAs is "request"', path: ['requestTypeId'] });

export type MailSourceSettings = z.infer<typeof mailSourceInputSchema>;

export interface MailSource extends MailSourceSettings {
  siteId: string;
  projectKey: string;
  /** The whole @odata.deltaLink of the last complete catch-up (graph-contract §9: persist it as given). */
  deltaLink?: string;
  lastPolledAt?: string;
  lastError?: string;
  /** When the source was first saved: the first catch-up reads mail received from then on. */
  createdAt: string;
  updatedAt: string;
}

type Row = { settings: MailSourceSettings; deltaLink?: string; lastPolledAt?: string; lastError?: string; createdAt: string; updatedAt: string };

function fromRow(siteId: string, projectKey: string, row: Row): MailSource {
  const settings = mailSourceInputSchema.parse(row.settings);
  return { ...settings, siteId, projectKey, deltaLink: row.deltaLink, lastPolledAt: row.lastPolledAt, lastError: row.lastError, createdAt: row.createdAt ?? row.updatedAt, updatedAt: row.updatedAt };
}

export async function getMailSource(deps: Pick<Runtime, 'tables'>, siteId: string, projectKey: string): Promise<(MailSource & { etag: string }) | undefined> {
  const row = await readEntity<Row>(await deps.tables.table(tableNames.mailSources), siteId, projectKey);
  return row ? { ...fromRow(siteId, projectKey, row), etag: row.etag } : undefined;
}

/** Saves the settings; a changed mailbox or folder starts the catch-up afresh (a delta link belongs to one folder). */
export async function putMailSource(deps: Pick<Runtime, 'tables' | 'clock'>, siteId: string, projectKey: string, settings: MailSourceSettings): Promise<MailSource> {
  const table = await deps.tables.table(tableNames.mailSources);
  const before = await readEntity<Row>(table, siteId, projectKey);
  const sameFolder = before && before.settings.mailbox === settings.mailbox && before.settings.folder === settings.folder && before.settings.tenantId === settings.tenantId;
  const row: Row = {
    settings,
    deltaLink: sameFolder ? before.deltaLink : undefined,
    lastPolledAt: before?.lastPolledAt,
    createdAt: before?.createdAt ?? deps.clock.now().toISOString(),
    updatedAt: deps.clock.now().toISOString(),
  };
  await upsertEntity(table, siteId, projectKey, row);
  return fromRow(siteId, projectKey, row);
}

export async function deleteMailSource(deps: Pick<Runtime, 'tables'>, siteId: string, projectKey: string): Promise<boolean> {
  return deleteEntity(await deps.tables.table(tableNames.mailSources), siteId, projectKey);
}

/** Every source (the slow timer's walk; a handful of rows per deployment, never on a request path). */
export async function listMailSources(tables: TableAccess): Promise<Array<MailSource & { etag: string }>> {
  const table = await tables.table(tableNames.mailSources);
  const out: Array<MailSource & { etag: string }> = [];
  for await (const e of table.listEntities<Entity<Row>>()) {
    const row = (await readEntity<Row>(table, decode(e.partitionKey as string), decode(e.rowKey as string)))!;
    if (row) out.push({ ...fromRow(decode(e.partitionKey as string), decode(e.rowKey as string), row), etag: row.etag });
  }
  return out;
}

/** The sources of one site (the manage API's and console's list: one partition, never on a request path of mail). */
export async function listMailSourcesOfSite(tables: TableAccess, siteId: string): Promise<MailSource[]> {
  const rows = await listPartition<Row>(await tables.table(tableNames.mailSources), siteId);
  return rows.map((row) => fromRow(siteId, row.rowKey, row)).sort((a, b) => a.projectKey.localeCompare(b.projectKey));
}

const decode = (k: string) => k.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** Records a poll's outcome; `false` when the row changed meanwhile (settings saved): the next poll starts from it. */
export async function recordPoll(
  tables: TableAccess,
  source: MailSource & { etag: string },
  update: { deltaLink?: string; lastPolledAt: string; lastError?: string },
): Promise<boolean> {
  const row: Row = {
    settings: settingsOf(source),
    deltaLink: update.deltaLink ?? source.deltaLink,
    lastPolledAt: update.lastPolledAt,
    lastError: update.lastError,
    createdAt: source.createdAt,
    updatedAt: source.updatedAt,
  };
  const r = await replaceIfMatch(await tables.table(tableNames.mailSources), source.siteId, source.projectKey, row, source.etag);
  return r.ok;
}

function settingsOf(source: MailSource): MailSourceSettings {
  const keys = Object.keys(mailSourceInputSchema.shape) as Array<keyof MailSourceSettings>;
  return mailSourceInputSchema.parse(Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]])));
}

export function publicMailSource(source: MailSource) {
  const { deltaLink, ...rest } = source;
  return { ...rest, caughtUp: !!deltaLink };
}
