// /api/manage/mail-in/{siteId}/{projectKey}[/{action}]: a project's mail source (mail → Jira).
//   GET     …/mail-in/{siteId}  the site's sources (as GET of one shows them), for the console's list
//   GET     the source (no delta link: it is an opaque Graph URL of no use to an admin)
//   PUT     create or replace it (JSON, ./sources.ts mailSourceInputSchema)
//   DELETE  remove it (handled-message records stay, so re-adding it never handles a message twice)
//   POST …/test  "test connection": consent, service user, scopes, token, then reads the folder; each failure in words
//   POST …/poll  catch up now (queued, like the timer's catch-up; answers 202)
import { z } from 'zod';
import type { AdminRequest } from '../admin/request.js';
import { NeedsReauthError, PermanentError, ServiceUserUnavailableError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { getMailFolder } from '../graph/mail.js';
import { fail, methodNotAllowed, ok, type HttpOutcome } from '../http/outcome.js';
import { reauthPath } from '../identity/tokens.js';
import { getSite } from '../sites/sites.js';
import { queueNames } from '../storage/queues.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import { readTenant } from '../storage/tenantConnections.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { explainReadFailure, mailboxName } from './explain.js';
import { pollMessage } from './ingest.js';
import { readMailSubscription, removeMailSubscription } from './subscription.js';
import { deleteMailSource, getMailSource, listMailSourcesOfSite, mailSourceInputSchema, publicMailSource, putMailSource, type MailSource } from './sources.js';

const projectKeySchema = z.string().regex(/^[A-Z][A-Z0-9_]{0,254}$/, 'must be a Jira project key such as SUP');
const siteIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'must be a registered site id');

export interface MailInStep {
  step: 'consent' | 'service-user' | 'scopes' | 'token' | 'folder';
  ok: boolean;
  detail: string;
}

export async function adminMailIn(deps: WorkflowDeps, request: AdminRequest): Promise<HttpOutcome> {
  const site = siteIdSchema.safeParse(request.params.siteId ?? '');
  if (!site.success) return fail(400, 'invalid_request', `siteId: ${site.error.issues[0]!.message}`);
  if (!request.params.projectKey) {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    const sources = await listMailSourcesOfSite(deps.tables, site.data);
    return ok({ siteId: site.data, sources: await Promise.all(sources.map((source) => withNotifications(deps, source))) });
  }
  const project = projectKeySchema.safeParse(request.params.projectKey ?? '');
  if (!project.success) return fail(400, 'invalid_request', `projectKey: ${project.error.issues[0]!.message}`);
  const siteId = site.data;
  const projectKey = project.data;
  const action = request.params.action;

  if (!action) {
    if (request.method === 'GET') {
      const source = await getMailSource(deps, siteId, projectKey);
      if (!source) return fail(404, 'unknown_mail_source', `project ${projectKey} of site ${siteId} has no mail source`);
      return ok(await withNotifications(deps, source));
    }
    if (request.method === 'PUT') {
      if (!(await getSite(deps, siteId))) return fail(404, 'unknown_site', `no site is registered with id ${siteId}`);
      const input = mailSourceInputSchema.safeParse(request.body);
      if (!input.success) {
        const issue = input.error.issues[0]!;
        return fail(400, 'invalid_request', `${issue.path.length ? `body.${issue.path.join('.')}` : 'body'}: ${issue.message}`);
      }
      const saved = await putMailSource(deps, siteId, projectKey, { ...input.data, tenantId: input.data.tenantId.toLowerCase() });
      // Turned off: no more notifications. A changed folder or mailbox gets its new subscription at the next catch-up.
      if (!saved.enabled) await removeMailSubscription(deps, siteId, projectKey, 'source disabled');
      return ok(publicMailSource(saved));
    }
    if (request.method === 'DELETE') {
      await removeMailSubscription(deps, siteId, projectKey, 'source deleted');
      return (await deleteMailSource(deps, siteId, projectKey)) ? { status: 204 } : fail(404, 'unknown_mail_source', `project ${projectKey} of site ${siteId} has no mail source`);
    }
    return methodNotAllowed(['GET', 'PUT', 'DELETE']);
  }
  if (action !== 'test' && action !== 'poll') return fail(404, 'not_found', 'use …/mail-in/{siteId}/{projectKey}, …/test or …/poll');
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const source = await getMailSource(deps, siteId, projectKey);
  if (!source) return fail(404, 'unknown_mail_source', `project ${projectKey} of site ${siteId} has no mail source`);
  if (action === 'poll') {
    await deps.queues.send(queueNames.mailIn, pollMessage(source, 'manual', deps.clock.now()));
    return ok({ queued: true }, 202);
  }
  return ok(await testMailSource(deps, source));
}

/** The source as an admin sees it, with its folder subscription (no subscription id, no secret name): until when, or why not. */
async function withNotifications(deps: WorkflowDeps, source: MailSource) {
  const sub = await readMailSubscription(deps, source.siteId, source.projectKey);
  const notifications = sub ? { state: sub.state, expiresAt: sub.expiresAt, lastEvent: sub.lastEvent, lastError: sub.lastError } : { state: 'none' };
  return { ...publicMailSource(source), notifications };
}

/** Reads the folder the way the catch-up does and explains each failure in words an admin can act on. */
export async function testMailSource(deps: WorkflowDeps, source: MailSource) {
  const steps: MailInStep[] = [];
  const result = () => ({ siteId: source.siteId, projectKey: source.projectKey, mailbox: source.mailbox, folder: source.folder, steps, ok: steps.every((s) => s.ok) });
  const { tenantId } = source;
  const signIn = `${deps.config.publicBaseUrl}${reauthPath(tenantId, 'mail-in')}`;
  const tenant = await readTenant(deps.tables, tenantId);
  const consentedAt = tenant?.consentedFeatures['mail-in'];
  steps.push(
    consentedAt
      ? { step: 'consent', ok: true, detail: `mail-in feature consented at ${consentedAt}` }
      : { step: 'consent', ok: false, detail: `no consent for the mail-in feature in tenant ${tenantId}: an admin (or, where the tenant allows it, the mailbox owner) consents, then signs the service user in at ${signIn}` },
  );
  const user = await readServiceUser(deps.tables, tenantId, 'mail-in');
  if (!user) {
    steps.push({ step: 'service-user', ok: false, detail: `no account is signed in for mail-in: sign one in at ${signIn}` });
    return result();
  }
  steps.push({ step: 'service-user', ok: user.status === 'active', detail: `${user.userPrincipalName} (${user.status}${user.statusReason ? `: ${user.statusReason}` : ''})` });
  const held = new Set(user.grantedScopes.map((s) => s.toLowerCase()));
  const shared = source.mailbox !== 'me';
  const write = source.afterProcessing === 'none' ? [] : [shared ? 'Mail.ReadWrite.Shared' : 'Mail.ReadWrite'];
  const needed = ['Mail.Read', ...write, ...(shared ? ['Mail.Read.Shared'] : [])];
  const missing = needed.filter((s) => !held.has(s.toLowerCase()) && !(s === 'Mail.Read' && held.has('mail.readwrite')));
  steps.push({
    step: 'scopes',
    ok: missing.length === 0,
    detail: missing.length
      ? `consent missing for ${missing.join(', ')}${write.some((w) => missing.includes(w)) ? ' (needed to mark or move handled mail; or set afterProcessing to "none")' : ''}${missing.includes('Mail.Read.Shared') ? ' (needed to read a shared mailbox)' : ''}: consent to mail-in again and sign in again at ${signIn}`
      : `granted: ${needed.join(', ')}`,
  });

  let graph;
  try {
    graph = await deps.graphFor(tenantId, 'mail-in');
    steps.push({ step: 'token', ok: true, detail: `token acquired for ${user.userPrincipalName}` });
  } catch (e) {
    if (e instanceof NeedsReauthError) steps.push({ step: 'token', ok: false, detail: `${e.message}; sign in again at ${deps.config.publicBaseUrl}${e.reauthPath}` });
    else if (e instanceof ServiceUserUnavailableError || e instanceof PermanentError) steps.push({ step: 'token', ok: false, detail: e.message });
    else throw e;
    return result();
  }
  try {
    const folder = await getMailFolder(graph, source.mailbox, source.folder, ['displayName', 'totalItemCount', 'unreadItemCount']);
    steps.push({ step: 'folder', ok: true, detail: `read folder "${folder.displayName ?? source.folder}" of ${mailboxName(source, user.userPrincipalName)}: ${folder.totalItemCount ?? 0} messages, ${folder.unreadItemCount ?? 0} unread` });
  } catch (e) {
    if (!(e instanceof GraphRequestError)) throw e;
    steps.push({ step: 'folder', ok: false, detail: explainReadFailure(e, source, user.userPrincipalName) });
  }
  return result();
}

