// Invitations: the links an admin sends to other people (a Microsoft 365 admin for consent, the service user's
// owner for its sign-in or re-authentication). Each is signed, expiring, single-use and bound to one tenant and
// feature (and site / mode for consent), so the link carries no function key: today's `&code=<key>` would open the
// whole admin API to whoever gets the link, and it ends up in browser history and logs.
//
// The token is an OAuth-state-shaped value (./state.ts: HMAC over nonce, expiry and kind; a row consumed with an
// ETag-conditional delete) whose row holds what it is bound to. Opening it (GET /api/invitation?token=…) consumes
// it and starts the same flow /api/consent/start or /api/service-user/start starts, with a fresh OAuth state.
import { z } from 'zod';
import { fail, ok, type HttpOutcome } from '../http/outcome.js';
import { parseFeature, parseTenant, siteIdPattern, startConsent } from './consent.js';
import { startServiceUserSignIn } from './serviceUserSignIn.js';
import { consumeState, createState, describeStateFailure, stateFlow } from './state.js';
import type { IdentityDeps } from './tokens.js';
import type { Page } from './pages.js';

/** Long enough for a colleague in another time zone to act on it, short enough that a forgotten one dies. */
export const invitationTtlSeconds = 72 * 3600;

const inputSchema = z.object({
  kind: z.enum(['consent', 'sign-in']),
  tenant: z.string(),
  feature: z.string(),
  site: z.string().optional(),
  mode: z.enum(['delegated', 'app']).optional(),
});

/** POST /api/manage/invitations `{ kind, tenant, feature, site?, mode? }`: a link to send, valid once. */
export async function createInvitation(deps: IdentityDeps, body: unknown): Promise<HttpOutcome> {
  const parsed = inputSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(400, 'invalid_request', `body${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
  }
  const input = parsed.data;
  const tenant = parseTenant(input.tenant, 'tenant', input.kind === 'consent');
  if (!tenant.ok) return fail(tenant.status, tenant.code, tenant.message.replace('query parameter', 'field'));
  const feature = parseFeature(input.feature);
  if (!feature.ok) return fail(feature.status, feature.code, feature.message.replace('query parameter', 'field'));
  if (input.kind === 'consent' && !siteIdPattern.test(input.site ?? '')) {
    return fail(400, 'site_invalid', 'field site is required for a consent invitation: the Jira site id this tenant will serve');
  }
  if (!deps.config.entra.clientId) return fail(409, 'client_id_missing', 'ENTRA_CLIENT_ID is not configured on this app');
  const token = await createState(
    deps,
    input.kind === 'consent' ? 'invite-consent' : 'invite-sign-in',
    { tenant: tenant.tenant, feature: feature.feature, siteId: input.site, appOnly: input.mode === 'app' },
    invitationTtlSeconds,
  );
  const expiresAt = new Date(deps.clock.now().getTime() + invitationTtlSeconds * 1000).toISOString();
  const url = `${deps.config.publicBaseUrl}/api/invitation?token=${encodeURIComponent(token)}`;
  deps.log.info('invitation.created', { kind: input.kind, tenantId: tenant.tenant, feature: feature.feature });
  return ok({ kind: input.kind, tenant: tenant.tenant, feature: feature.feature, url, expiresAt, note: 'Works once, until it expires. It carries no key: send it to the person who should act on it.' }, 201, { 'cache-control': 'no-store' });
}

/** GET /api/invitation?token=…: consume the invitation and send the browser to Microsoft, or say why not. */
export async function openInvitation(deps: IdentityDeps, token: string | null): Promise<{ ok: true; url: string } | { ok: false; page: Page }> {
  const kind = stateFlow(token);
  if (kind !== 'invite-consent' && kind !== 'invite-sign-in') {
    return { ok: false, page: { status: 400, title: 'This link is not valid', paragraphs: ['The invitation link is incomplete or altered. Ask the bridge administrator for a new one.'] } };
  }
  const check = await consumeState(deps, kind, token);
  if (!check.ok) {
    return { ok: false, page: { status: 400, title: 'This link cannot be used', paragraphs: [describeStateFailure(check.reason).replace('Ask for a new link', 'Ask the bridge administrator for a new link')] } };
  }
  const r = check.record;
  const started =
    kind === 'invite-consent'
      ? await startConsent(deps, { tenant: r.tenant, feature: r.feature, site: r.siteId ?? null, mode: r.appOnly ? 'app' : null })
      : await startServiceUserSignIn(deps, { tenant: r.tenant, feature: r.feature, loginHint: null });
  if (!started.ok) return { ok: false, page: { status: started.status, title: 'The invitation could not be started', paragraphs: [started.message] } };
  return { ok: true, url: started.url };
}
