// /api/manage/mail: the mail feature's "test connection", like the mail-handler products admins know.
//   GET  /api/manage/mail?tenant={tenantId}                       how mail is set up: mode, sender, scopes (no mail sent)
//   POST /api/manage/mail/test?tenant={tenantId}[&from=address]   send a test mail from the sender to itself, on demand
// Each step answers ok/detail; a failure says what to fix (./errors.ts: ErrorSendAsDenied and friends).
import { tenantIdSchema } from '../ids.js';
import { z } from 'zod';
import type { AdminRequest } from '../admin/request.js';
import { escapeHtml } from '../text/html.js';
import { NeedsReauthError, PermanentError } from '../errors.js';
import { fail, methodNotAllowed, ok, type HttpOutcome } from '../http/outcome.js';
import { featureScopes } from '../identity/features.js';
import { reauthPath } from '../identity/tokens.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import { readTenant } from '../storage/tenantConnections.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { resolveSender, sendMail } from './send.js';


export interface MailStep {
  step: 'consent' | 'service-user' | 'scopes' | 'token' | 'send';
  ok: boolean;
  detail: string;
}

export async function adminMail(deps: WorkflowDeps, request: AdminRequest): Promise<HttpOutcome> {
  const tenant = tenantIdSchema.safeParse(request.query.tenant ?? '');
  if (!tenant.success) return fail(400, 'invalid_request', `tenant (query): ${tenant.error.issues[0]!.message}`);
  const from = request.query.from?.trim() || undefined;
  if (from && !z.string().email().safeParse(from).success) return fail(400, 'invalid_request', 'from (query): must be an e-mail address');
  const action = request.params.action;
  if (!action) {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    return ok(await mailStatus(deps, tenant.data.toLowerCase()));
  }
  if (action === 'test') {
    if (request.method !== 'POST') return methodNotAllowed(['POST']);
    return ok(await mailTest(deps, tenant.data.toLowerCase(), from));
  }
  return fail(404, 'not_found', 'use GET /api/manage/mail?tenant=… or POST /api/manage/mail/test?tenant=…');
}

/** Mode, consent, service user and scopes: what the admin can see without sending anything. */
export async function mailStatus(deps: WorkflowDeps, tenantId: string) {
  const steps: MailStep[] = [];
  const tenant = await readTenant(deps.tables, tenantId);
  const mode = tenant?.modes.mail ?? 'delegated';
  const user = await readServiceUser(deps.tables, tenantId, 'mail');
  if (!tenant) {
    steps.push({ step: 'consent', ok: false, detail: `tenant ${tenantId} is not connected` });
  } else if (mode === 'app') {
    steps.push({
      step: 'consent',
      ok: !!tenant.appConsentedAt,
      detail: tenant.appConsentedAt ? `application permissions consented at ${tenant.appConsentedAt} (Mail.Send)` : 'no admin consent for the application permissions (Mail.Send)',
    });
  } else {
    const at = tenant.consentedFeatures.mail;
    steps.push({ step: 'consent', ok: !!at, detail: at ? `mail feature consented at ${at}` : 'no admin consent for the mail feature' });
  }
  if (mode === 'delegated') {
    steps.push(
      user
        ? { step: 'service-user', ok: user.status === 'active', detail: `${user.userPrincipalName} (${user.status}${user.statusReason ? `: ${user.statusReason}` : ''})` }
        : { step: 'service-user', ok: false, detail: `no mail service user: sign one in at ${reauthPath(tenantId, 'mail')}` },
    );
  }
  const scopes = scopeReport(user?.grantedScopes ?? []);
  if (mode === 'delegated' && user) {
    steps.push({
      step: 'scopes',
      ok: scopes.missingRequired.length === 0,
      detail: scopes.missingRequired.length
        ? `missing required scopes: ${scopes.missingRequired.join(', ')}; consent to the mail feature again and sign the service user in again`
        : scopes.missingOptional.length
          ? `required scopes present; without ${scopes.missingOptional.map((s) => `${s.scope} (${s.capability})`).join(', ')}`
          : 'all scopes present, including Mail.Send.Shared',
    });
  }
  return { tenantId, mode, serviceUser: user?.userPrincipalName ?? null, scopes, steps, ok: steps.every((s) => s.ok) };
}

export function scopeReport(granted: readonly string[]) {
  const held = new Set(granted.map((s) => s.toLowerCase()));
  const spec = featureScopes.mail;
  return {
    granted: [...granted],
    missingRequired: spec.required.filter((s) => !held.has(s.toLowerCase())),
    missingOptional: Object.entries(spec.optional)
      .filter(([s]) => !held.has(s.toLowerCase()))
      .map(([scope, capability]) => ({ scope, capability })),
  };
}

/** Sends one mail from the sender to itself and reports each step. Nothing is stored; repeat it at will. */
export async function mailTest(deps: WorkflowDeps, tenantId: string, from?: string) {
  const status = await mailStatus(deps, tenantId);
  const steps = [...status.steps];
  const result = (extra: Record<string, unknown> = {}) => ({ ...status, ...extra, steps, ok: steps.every((s) => s.ok) });
  let graph;
  try {
    graph = await deps.graphFor(tenantId, 'mail', { allowAppOnly: true });
    steps.push({ step: 'token', ok: true, detail: graph.kind === 'app' ? 'client-credentials token acquired' : `token acquired for ${status.serviceUser ?? 'the service user'}` });
  } catch (e) {
    if (e instanceof NeedsReauthError) steps.push({ step: 'token', ok: false, detail: `${e.message}; sign in again at ${e.reauthPath}` });
    else if (e instanceof PermanentError) steps.push({ step: 'token', ok: false, detail: e.message });
    else throw e;
    return result();
  }
  let sender;
  try {
    sender = await resolveSender(deps, graph, tenantId, from);
  } catch (e) {
    if (!(e instanceof PermanentError)) throw e;
    steps.push({ step: 'send', ok: false, detail: e.message });
    return result();
  }
  const sentAt = deps.clock.now().toISOString();
  try {
    await sendMail(graph, sender, {
      subject: 'Jira ⇄ Microsoft 365 bridge: mail connection test',
      html: `<p>This is a test from the Jira ⇄ Microsoft 365 bridge, sent at ${escapeHtml(sentAt)} from ${escapeHtml(sender.address)} to itself. No action is needed.</p>`,
      to: [sender.address],
      headers: { 'x-jira-m365-test': sentAt },
    });
    steps.push({ step: 'send', ok: true, detail: `Microsoft 365 accepted a test mail from ${sender.address} to itself (202); delivery is asynchronous: look for it in that mailbox` });
  } catch (e) {
    if (e instanceof PermanentError) steps.push({ step: 'send', ok: false, detail: `${e.code}: ${e.message}` });
    else steps.push({ step: 'send', ok: false, detail: `sending failed, try again later: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    if (graph.requestIds.length) deps.log.info('mail.test', { tenantId, sender: sender.address, graphRequestIds: graph.requestIds });
  }
  return result({ sender: sender.address, to: sender.address });
}
