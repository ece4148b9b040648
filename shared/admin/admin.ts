// The admin API for Jira sites, project settings, user mappings, poison queues and the audit trail. Every route
// answers with a precise status and a JSON error naming what is wrong. Secrets generated here are returned once
// and never again; reads never include one.
import { z } from 'zod';
import type { AdminDeps, AdminRequest } from './request.js';
import { fail, ok, methodNotAllowed, type HttpOutcome } from '../http/outcome.js';
import { getSite, listSites, publicSite, putSite, rotateSiteSecret, siteIdSchema, siteInputSchema, siteSecretNames } from '../sites/sites.js';
import { testJiraConnection } from '../jira/client.js';
import { deleteProjectSettings, getProjectSettings, listProjectSettings, putProjectSettings } from '../sites/projects.js';
import { effectiveRules, projectSettingsSchema } from '../rules/projectSettings.js';
import { ruleParamsProblem } from '../rules/ruleParams.js';
import { deleteMapping, listMappings, listUnmapped, mappingsToCsv, parseMappingCsv, saveMapping } from '../people/mapping.js';
import { listAudit } from '../jobs/audit.js';
import { allQueueNames, poisonQueueName } from '../storage/queues.js';
import { isGuid, isIssueKey, isProjectKey, projectKeySchema as projectKeySchemaFor, tenantIdSchema } from '../ids.js';

const projectKeySchema = projectKeySchemaFor('INC');
const accountIdSchema = z.string().regex(/^[A-Za-z0-9:_-]{1,128}$/, 'must be an Atlassian accountId');

function invalid(error: z.ZodError, where = 'body'): HttpOutcome {
  const issue = error.issues[0]!;
  const path = issue.path.length ? `${where}.${issue.path.join('.')}` : where;
  return fail(400, 'invalid_request', `${path}: ${issue.message}`);
}

function param(schema: z.ZodType<string>, value: string | undefined, name: string): { ok: true; value: string } | { ok: false; outcome: HttpOutcome } {
  const r = schema.safeParse(value ?? '');
  return r.success ? { ok: true, value: r.data } : { ok: false, outcome: fail(400, 'invalid_request', `${name}: ${r.error.issues[0]!.message}`) };
}

/** /api/manage/sites[/{siteId}] GET (list or one), PUT (register or update). */
export async function adminSites(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  const { siteId } = request.params;
  if (!siteId) {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    return ok({ sites: (await listSites(deps)).map((s) => publicSite(s, deps.config.publicBaseUrl)) });
  }
  const id = param(siteIdSchema, siteId, 'siteId');
  if (!id.ok) return id.outcome;
  if (request.method === 'GET') {
    const site = await getSite(deps, id.value);
    if (!site) return fail(404, 'unknown_site', `no site is registered with id ${id.value}`);
    const projects = await listProjectSettings(deps, id.value);
    return ok({ ...publicSite(site, deps.config.publicBaseUrl), projects: projects.map((p) => ({ projectKey: p.projectKey, enabled: p.settings.enabled, tenantId: p.settings.tenantId })) });
  }
  if (request.method === 'PUT') {
    const input = siteInputSchema.safeParse(request.body);
    if (!input.success) return invalid(input.error);
    const { site, created } = await putSite(deps, id.value, input.data);
    deps.onSettingsChanged?.();
    return ok(publicSite(site, deps.config.publicBaseUrl), created ? 201 : 200);
  }
  return methodNotAllowed(['GET', 'PUT']);
}

/** POST /api/manage/sites/{siteId}/secrets/{webhook-secret|automation-token}: generate or rotate; returned once. */
export async function adminSiteSecrets(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const id = param(siteIdSchema, request.params.siteId, 'siteId');
  if (!id.ok) return id.outcome;
  const kind = request.params.secretKind;
  if (kind !== 'webhook-secret' && kind !== 'automation-token') {
    return fail(404, 'unknown_secret', 'use /secrets/webhook-secret or /secrets/automation-token');
  }
  const rotated = await rotateSiteSecret(deps, id.value, kind);
  if (!rotated) return fail(404, 'unknown_site', `no site is registered with id ${id.value}`);
  deps.onSettingsChanged?.();
  const base = deps.config.publicBaseUrl;
  return ok(
    kind === 'webhook-secret'
      ? {
          webhookSecret: rotated.value,
          generation: rotated.generation,
          webhookUrl: `${base}/api/jira/events?site=${id.value}`,
          note: 'Shown once. Paste it as the webhook secret in Jira (System → WebHooks). The previous secret stays valid until the next rotation.',
        }
      : {
          automationToken: rotated.value,
          generation: rotated.generation,
          automationUrlPattern: `${base}/api/jira/automation/{action}?site=${id.value}`,
          note: 'Shown once. In Jira Automation "Send web request", add the header Authorization: Bearer <token>. The previous token stops working now.',
        },
    201,
    { 'cache-control': 'no-store' },
  );
}

/** POST /api/manage/sites/{siteId}/test: sign in to Jira with the site's stored credentials and say as whom. */
export async function adminSiteTest(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const id = param(siteIdSchema, request.params.siteId, 'siteId');
  if (!id.ok) return id.outcome;
  const site = await getSite(deps, id.value);
  if (!site) return fail(404, 'unknown_site', `no site is registered with id ${id.value}`);
  const apiToken = await deps.secrets.get(siteSecretNames.jiraApiToken(id.value));
  if (!apiToken) return ok({ siteId: id.value, ok: false, reason: 'the Jira API token is missing from the secret store: register the site again' });
  const result = await testJiraConnection({ baseUrl: site.jiraBaseUrl, email: site.jiraEmail, apiToken }, deps.config.timeouts.jiraMs);
  deps.log.info('site.connectionTested', { siteId: id.value, ok: result.ok });
  return ok({ siteId: id.value, jiraBaseUrl: site.jiraBaseUrl, ...result });
}

/** /api/manage/sites/{siteId}/projects/{projectKey}: GET, PUT (settings + rules), DELETE. */
export async function adminProjects(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  const id = param(siteIdSchema, request.params.siteId, 'siteId');
  if (!id.ok) return id.outcome;
  if (!(await getSite(deps, id.value))) return fail(404, 'unknown_site', `no site is registered with id ${id.value}`);
  const key = param(projectKeySchema, request.params.projectKey, 'projectKey');
  if (!key.ok) return key.outcome;
  switch (request.method) {
    case 'GET': {
      const settings = await getProjectSettings(deps, id.value, key.value);
      if (!settings) return fail(404, 'unknown_project', `project ${key.value} is not configured for site ${id.value}`);
      return ok({ projectKey: key.value, settings, effectiveRules: effectiveRules(settings) });
    }
    case 'PUT': {
      const parsed = projectSettingsSchema.safeParse(request.body);
      if (!parsed.success) return invalid(parsed.error);
      const ruleProblem = ruleParamsProblem(parsed.data.rules);
      if (ruleProblem) return fail(400, 'invalid_request', `body.${ruleProblem}`);
      const settings = await putProjectSettings(deps, id.value, key.value, parsed.data);
      deps.onSettingsChanged?.();
      return ok({ projectKey: key.value, settings, effectiveRules: effectiveRules(settings) });
    }
    case 'DELETE':
      if (!(await deleteProjectSettings(deps, id.value, key.value))) return fail(404, 'unknown_project', `project ${key.value} is not configured`);
      deps.onSettingsChanged?.();
      return { status: 204 };
    default:
      return methodNotAllowed(['GET', 'PUT', 'DELETE']);
  }
}

const mappingInputSchema = z.object({
  /** Entra object id or user principal name. */
  user: z.string().refine((u) => isGuid(u) || /^[^@\s]+@[^@\s]+$/.test(u), 'must be an Entra object id or a user principal name'),
  guest: z.boolean().default(false),
});

/**
 * /api/manage/user-mappings/{tenantId}[/{accountId}]: list (JSON, or CSV with ?format=csv), PUT one, DELETE one,
 * POST text/csv to import (`accountId,user,guest`). /api/manage/user-mappings/{tenantId}?unmapped=true lists the
 * people who could not be mapped, with why.
 */
export async function adminUserMappings(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  const tenant = param(tenantIdSchema, request.params.tenantId, 'tenantId');
  if (!tenant.ok) return tenant.outcome;
  const tenantId = tenant.value.toLowerCase();
  const { accountId } = request.params;
  if (!accountId) {
    if (request.method === 'GET') {
      if (request.query.unmapped === 'true') return ok({ unmapped: await listUnmapped(deps, tenantId) });
      const mappings = await listMappings(deps, tenantId);
      if (request.query.format === 'csv') return { status: 200, body: mappingsToCsv(mappings), headers: { 'content-type': 'text/csv; charset=utf-8' } };
      return ok({ mappings });
    }
    if (request.method === 'POST') {
      if (!/^text\/csv/i.test(request.headers['content-type'] ?? '')) return fail(415, 'unsupported_media_type', 'import a CSV with Content-Type: text/csv');
      const { rows, errors } = parseMappingCsv(request.text ?? '');
      if (errors.length) return fail(400, 'invalid_csv', errors.slice(0, 20).join('; '));
      for (const row of rows) {
        await saveMapping(deps, tenantId, { accountId: row.accountId, entraObjectId: row.user, userPrincipalName: row.user.includes('@') ? row.user : undefined, isGuest: row.guest, source: 'manual' });
      }
      return ok({ imported: rows.length });
    }
    return methodNotAllowed(['GET', 'POST']);
  }
  const account = param(accountIdSchema, accountId, 'accountId');
  if (!account.ok) return account.outcome;
  if (request.method === 'PUT') {
    const input = mappingInputSchema.safeParse(request.body);
    if (!input.success) return invalid(input.error);
    const user = { accountId: account.value, entraObjectId: input.data.user, userPrincipalName: input.data.user.includes('@') ? input.data.user : undefined, isGuest: input.data.guest, source: 'manual' as const };
    await saveMapping(deps, tenantId, user);
    return ok(user);
  }
  if (request.method === 'DELETE') {
    if (!(await deleteMapping(deps, tenantId, account.value))) return fail(404, 'unknown_mapping', `no mapping for ${account.value}`);
    return { status: 204 };
  }
  return methodNotAllowed(['PUT', 'DELETE']);
}

/**
 * /api/manage/poison: GET counts; /api/manage/poison/{queue}: GET up to 32 messages; POST
 * /api/manage/poison/{queue}/replay[?messageId=…]: put one or all back on their queue.
 */
export async function adminPoison(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  const { queue, action } = request.params;
  if (!queue) {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    const counts = await Promise.all(allQueueNames.map(async (q) => [poisonQueueName(q), await deps.queues.approximateCount(poisonQueueName(q))] as const));
    return ok({ poisonQueues: Object.fromEntries(counts) });
  }
  if (!(allQueueNames as readonly string[]).includes(queue)) {
    return fail(404, 'unknown_queue', `queue ${JSON.stringify(queue.slice(0, 60))} does not exist; use one of ${allQueueNames.join(', ')}`);
  }
  const poison = poisonQueueName(queue);
  if (!action) {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    const messages = await deps.queues.peek(poison, 32);
    return ok({ queue: poison, messages: messages.map((m) => ({ messageId: m.messageId, insertedOn: m.insertedOn, dequeueCount: m.dequeueCount, body: m.body ?? m.rawText })) });
  }
  if (action !== 'replay') return fail(404, 'unknown_action', 'use /replay');
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const only = request.query.messageId;
  let replayed = 0;
  // Receive in leased batches; what is not replayed becomes visible again when its short lease ends.
  for (let round = 0; round < 100; round++) {
    const batch = await deps.queues.receive(poison, 32, 30);
    if (batch.length === 0) break;
    for (const m of batch) {
      if (only && m.messageId !== only) continue;
      await deps.queues.send(queue, m.body ?? m.rawText ?? null);
      await deps.queues.remove(poison, m.messageId, m.popReceipt);
      replayed++;
    }
    if (only && replayed) break;
  }
  if (only && replayed === 0) return fail(404, 'unknown_message', `message ${only} is not in ${poison}`);
  deps.log.info('poison.replayed', { queue, replayed });
  return ok({ queue, replayed });
}

/** GET /api/manage/audit/{siteId}/{issueKey}: what every job did for an issue, newest first. */
export async function adminAudit(deps: AdminDeps, request: AdminRequest): Promise<HttpOutcome> {
  if (request.method !== 'GET') return methodNotAllowed(['GET']);
  const id = param(siteIdSchema, request.params.siteId, 'siteId');
  if (!id.ok) return id.outcome;
  const issueKey = request.params.issueKey ?? '';
  // Mail-in audits a skipped message under `{projectKey}-mail` (no issue exists for it; shared/mailIn/ingest.ts), and
  // docs/mail-to-jira.md sends the admin here to read those entries.
  const mailSkips = issueKey.endsWith('-mail') && isProjectKey(issueKey.slice(0, -'-mail'.length));
  if (!isIssueKey(issueKey) && !mailSkips) return fail(400, 'invalid_request', 'issueKey: must be a Jira issue key such as INC-42, or {projectKey}-mail for mail-in skips');
  return ok({ siteId: id.value, issueKey, entries: await listAudit(deps, id.value, issueKey) });
}
