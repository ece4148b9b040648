// Signing in to the console. In Azure: Microsoft Entra through the bridge's own app registration, authorization
// code + PKCE against the home tenant (ENTRA_TENANT_ID), and the `Bridge.Admin` app role in the ID token's `roles`
// claim ("roles" is emitted for app roles assigned to the user, learn.microsoft.com/entra/identity-platform/
// id-token-claims-reference). Locally (`npm start`, CONSOLE_LOCAL_SIGN_IN=true): a one-time link printed at start
// that works from this machine only.
import { CryptoProvider } from '@azure/msal-node';
import type { Runtime } from '../runtime.js';
import { createMsalApp, describeAuthError } from '../identity/msal.js';
import type { Page } from '../identity/pages.js';
import { PermanentError } from '../errors.js';
import { isLoopbackRequest } from './access.js';
import { consumeOneTime, createOneTime } from './oneTime.js';
import { adminRole, createSessionCookie, type OutcomeCookie } from './session.js';

/** How admins can sign in: with Microsoft (app registration + home tenant set), locally (npm start), or both. */
export interface SignInOptions {
  entra: boolean;
  local: boolean;
}

export function signInOptions(config: Runtime['config']): SignInOptions {
  return { entra: !!(config.entra.clientId && config.entra.homeTenantId), local: config.console.localSignIn };
}

export function consoleUrl(config: Runtime['config']): string {
  return `${config.publicBaseUrl}/api/console`;
}

function callbackUri(config: Runtime['config']): string {
  return `${config.publicBaseUrl}/api/console/auth/callback`;
}

/** The Microsoft authorize URL for an admin's sign-in, or why there is none. */
export async function startEntraSignIn(deps: Runtime): Promise<{ ok: true; url: string } | { ok: false; page: Page }> {
  const tenant = deps.config.entra.homeTenantId;
  if (!signInOptions(deps.config).entra || !tenant) {
    return { ok: false, page: unavailablePage(deps) };
  }
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = await createOneTime(deps, 'console-sign-in', deps.config.oauthStateTtlSeconds, { codeVerifier: pkce.verifier });
  try {
    const app = await createMsalApp(deps, tenant);
    const url = await app.getAuthCodeUrl({
      scopes: ['openid', 'profile'],
      redirectUri: callbackUri(deps.config),
      state,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      responseMode: 'query',
    });
    return { ok: true, url };
  } catch (e) {
    if (e instanceof PermanentError) return { ok: false, page: { status: 503, title: 'Sign-in is not set up', paragraphs: [e.message] } };
    throw e;
  }
}

export type SignInDone = { ok: true; cookie: OutcomeCookie } | { ok: false; page: Page };

/** Microsoft's redirect back: redeem the code (PKCE), then require the home tenant and the admin app role. */
export async function completeEntraSignIn(deps: Runtime, query: URLSearchParams): Promise<SignInDone> {
  const log = deps.log.with({ flow: 'consoleSignIn' });
  const again = [{ href: `${consoleUrl(deps.config)}/auth/start`, text: 'Sign in again' }];
  const check = await consumeOneTime(deps, 'console-sign-in', query.get('state'));
  if (!check.ok) {
    return { ok: false, page: { status: 400, title: 'Sign-in could not be completed', paragraphs: [check.reason === 'expired' ? 'The sign-in took too long.' : 'The answer from Microsoft could not be matched to a sign-in started here.'], links: again } };
  }
  const error = query.get('error');
  if (error) {
    return { ok: false, page: { status: 400, title: 'Microsoft did not sign you in', paragraphs: [`${error}: ${(query.get('error_description') ?? '').slice(0, 300)}`], links: again } };
  }
  const code = query.get('code');
  const tenant = deps.config.entra.homeTenantId;
  if (!code || !check.codeVerifier || !tenant) return { ok: false, page: { status: 400, title: 'Sign-in could not be completed', paragraphs: ['Microsoft returned no authorization code.'], links: again } };
  let claims: Record<string, unknown>;
  try {
    const app = await createMsalApp(deps, tenant);
    const result = await app.acquireTokenByCode({ code, scopes: ['openid', 'profile'], redirectUri: callbackUri(deps.config), codeVerifier: check.codeVerifier });
    claims = (result.idTokenClaims ?? {}) as Record<string, unknown>;
  } catch (e) {
    log.warn('console.signInFailed', { error: describeAuthError(e) });
    return { ok: false, page: { status: 400, title: 'Sign-in could not be completed', paragraphs: [`Redeeming the sign-in with Microsoft failed (${describeAuthError(e)}).`], links: again } };
  }
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  const who = String(claims.preferred_username ?? claims.name ?? claims.oid ?? 'unknown');
  if (String(claims.tid ?? '').toLowerCase() !== tenant || !roles.includes(adminRole)) {
    log.warn('console.notAllowed', { tenantId: String(claims.tid ?? ''), hasRole: roles.includes(adminRole) });
    return { ok: false, page: notAllowedPage(who) };
  }
  const { cookie } = await createSessionCookie(deps, { sub: String(claims.oid ?? who), name: who, roles: [adminRole], via: 'entra' });
  log.info('console.signedIn', { via: 'entra' });
  return { ok: true, cookie };
}

export function notAllowedPage(who: string): Page {
  return {
    status: 403,
    title: 'Not allowed',
    paragraphs: [
      `You are signed in as ${who}, but this account may not use the bridge's admin console.`,
      `Ask an administrator of the bridge to assign you the ${adminRole} app role (Microsoft Entra admin center → Enterprise applications → the bridge → Users and groups → Add user/group), then sign in again.`,
    ],
  };
}

const localLinkSeconds = 3600;

/** `npm start`: the one-time sign-in link to print in the terminal. */
export async function createLocalSignInLink(deps: Runtime): Promise<string> {
  const token = await createOneTime(deps, 'console-local', localLinkSeconds);
  return `${consoleUrl(deps.config)}/local-sign-in?token=${encodeURIComponent(token)}`;
}

export async function completeLocalSignIn(deps: Runtime, token: string | null, headers: Record<string, string | undefined>): Promise<SignInDone> {
  if (!deps.config.console.localSignIn) return { ok: false, page: { status: 404, title: 'Not available', paragraphs: ['The local sign-in link exists only in a local run (npm start).'] } };
  if (!isLoopbackRequest(headers)) return { ok: false, page: { status: 403, title: 'Not allowed', paragraphs: ['The local sign-in link works only in a browser on the machine that runs the app (http://localhost or http://127.0.0.1).'] } };
  const check = await consumeOneTime(deps, 'console-local', token);
  if (!check.ok) {
    return { ok: false, page: { status: 400, title: 'This sign-in link cannot be used', paragraphs: [check.reason === 'already-used' ? 'Each link works once. Use "Print a new sign-in link" on the sign-in page, or restart npm start.' : check.reason === 'expired' ? 'This link has expired. Use "Print a new sign-in link" on the sign-in page.' : 'The link is not valid.'], links: [{ href: `${consoleUrl(deps.config)}/sign-in`, text: 'Sign-in page' }] } };
  }
  const { cookie } = await createSessionCookie(deps, { sub: 'local', name: 'Local administrator', roles: [adminRole], via: 'local' });
  deps.log.info('console.signedIn', { via: 'local' });
  return { ok: true, cookie };
}

export function unavailablePage(deps: Runtime): Page {
  return {
    status: 503,
    title: 'Console sign-in is not set up',
    paragraphs: [
      deps.config.entra.clientId
        ? 'Set ENTRA_TENANT_ID (your organisation\'s tenant id) so admins can sign in with Microsoft.'
        : 'Set ENTRA_CLIENT_ID, a client credential and ENTRA_TENANT_ID so admins can sign in with Microsoft (the Bicep sets them when createEntraApp is on).',
    ],
  };
}
