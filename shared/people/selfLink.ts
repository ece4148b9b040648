// Self-link: a person whose Jira e-mail is hidden links their Atlassian account to their Microsoft 365 account by
// signing in with Microsoft once. The invitation is a link in the internal "could not be added" note,
// signed by the app for exactly one (tenant, site, accountId) and expiring; the sign-in asks only for `openid
// profile` (no Graph scope, no refresh token kept) and the mapping is stored with source `self-link`.
//
// The invitation authorises linking *that* Jira account: whoever holds the link and signs in is linked to it. The
// note is internal (agents only), the link expires, and the result page names the Jira account that was linked, so
// a mistake is visible and an admin can delete the mapping (DELETE /api/manage/user-mappings/{tenant}/{accountId}).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import type { Runtime } from '../runtime.js';
import { createMsalApp, describeAuthError } from '../identity/msal.js';
import type { Page } from '../identity/pages.js';
import { consumeState, createState, describeStateFailure, signingKey } from '../identity/state.js';
import { saveMapping } from './mapping.js';

export type SelfLinkDeps = Pick<Runtime, 'config' | 'secrets' | 'tables' | 'clock' | 'log'>;

/** How long an invitation in a Jira note stays valid. */
export const invitationDays = 14;

interface Invitation {
  t: string; // tenant id
  s: string; // site id
  a: string; // Atlassian accountId
  e: number; // expiry, seconds since epoch
}

export async function selfLinkUrl(deps: SelfLinkDeps, invitation: { tenantId: string; siteId: string; accountId: string }): Promise<string> {
  const payload: Invitation = {
    t: invitation.tenantId,
    s: invitation.siteId,
    a: invitation.accountId,
    e: Math.floor(deps.clock.now().getTime() / 1000) + invitationDays * 86400,
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', await signingKey(deps.secrets)).update(`self-link.${body}`).digest('base64url');
  return `${deps.config.publicBaseUrl}/api/self-link/start?invitation=${body}.${mac}`;
}

async function readInvitation(deps: SelfLinkDeps, value: string | null): Promise<Invitation | string> {
  const [body, mac] = (value ?? '').split('.');
  if (!body || !mac) return 'The link is incomplete. Open the whole link from the Jira issue.';
  const expected = createHmac('sha256', await signingKey(deps.secrets)).update(`self-link.${body}`).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'The link was altered. Open the link from the Jira issue again.';
  let invitation: Invitation;
  try {
    invitation = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Invitation;
  } catch {
    return 'The link is malformed. Open the link from the Jira issue again.';
  }
  if (invitation.e < deps.clock.now().getTime() / 1000) return 'The link has expired. Ask a Jira admin to run the chat action again for a new one.';
  return invitation;
}

/** GET /api/self-link/start?invitation=…: checks the invitation and sends the person to Microsoft sign-in. */
export async function startSelfLink(deps: SelfLinkDeps, invitationValue: string | null): Promise<{ ok: true; url: string } | { ok: false; page: Page }> {
  const invitation = await readInvitation(deps, invitationValue);
  if (typeof invitation === 'string') return { ok: false, page: { status: 400, title: 'This link cannot be used', paragraphs: [invitation] } };
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = await createState(deps, 'self-link', {
    tenant: invitation.t,
    feature: 'chats',
    siteId: invitation.s,
    accountId: invitation.a,
    codeVerifier: pkce.verifier,
  });
  const app = await createMsalApp(deps, invitation.t);
  const url = await app.getAuthCodeUrl({
    scopes: ['openid', 'profile'],
    redirectUri: `${deps.config.publicBaseUrl}/api/auth/callback`,
    state,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    responseMode: 'query',
    prompt: 'select_account',
  });
  return { ok: true, url };
}

/** The state's flow kind, read without verifying it (the flow's own handler verifies). */
export function stateKind(state: string | null): string | undefined {
  return state?.split('.')[3];
}

/** GET /api/auth/callback for a self-link sign-in: store the mapping of the invited accountId to this user. */
export async function completeSelfLink(deps: SelfLinkDeps, query: URLSearchParams): Promise<Page> {
  const check = await consumeState(deps, 'self-link', query.get('state'));
  if (!check.ok) return { status: 400, title: 'Your accounts were not linked', paragraphs: [describeStateFailure(check.reason)] };
  const { tenant: tenantId, accountId, codeVerifier, siteId } = check.record;
  const error = query.get('error');
  if (error) {
    return { status: error === 'access_denied' ? 403 : 400, title: 'Your accounts were not linked', paragraphs: [`Microsoft sign-in ended with "${error}". Open the link from the Jira issue to try again.`] };
  }
  const code = query.get('code');
  if (!code || !codeVerifier || !accountId) return { status: 400, title: 'Your accounts were not linked', paragraphs: ['Microsoft returned no authorization code. Open the link from the Jira issue again.'] };

  const app = await createMsalApp(deps, tenantId);
  let result;
  try {
    const state = query.get('state') ?? '';
    result = await app.acquireTokenByCode({ code, scopes: ['openid', 'profile'], redirectUri: `${deps.config.publicBaseUrl}/api/auth/callback`, codeVerifier, state }, { code, state });
  } catch (e) {
    deps.log.warn('selfLink.redeemFailed', { tenantId, error: describeAuthError(e) });
    return { status: 400, title: 'Your accounts were not linked', paragraphs: [`Signing in with Microsoft failed (${describeAuthError(e)}). Open the link from the Jira issue again.`] };
  }
  const claims = (result.idTokenClaims ?? {}) as { oid?: string; tid?: string; preferred_username?: string; name?: string };
  if (!claims.oid || claims.tid?.toLowerCase() !== tenantId.toLowerCase()) {
    return { status: 400, title: 'Signed in to the wrong organisation', paragraphs: [`Sign in with your account of the organisation this Jira site works with (tenant ${tenantId}).`] };
  }
  await saveMapping(deps, tenantId, {
    accountId,
    entraObjectId: claims.oid,
    userPrincipalName: claims.preferred_username,
    displayName: claims.name,
    isGuest: false,
    source: 'self-link',
  });
  deps.log.info('selfLink.linked', { tenantId, siteId, accountId });
  return {
    status: 200,
    title: 'Your accounts are linked',
    paragraphs: [
      `The Jira account ${accountId} is now linked to ${claims.preferred_username ?? 'your Microsoft 365 account'}.`,
      'You will be added to the Teams chats of issues you take part in from the next update on. If this is not your Jira account, tell a Jira admin.',
    ],
  };
}
