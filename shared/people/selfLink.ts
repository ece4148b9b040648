// Self-link: a person whose Jira e-mail is hidden links their Atlassian account to their Microsoft 365 account by
// signing in with Microsoft once. The invitation is a link in the issue's internal "could not be added" note,
// signed by the app for exactly one (tenant, site, accountId), expiring, and single-use: the first sign-in that
// links (or finds the link already made) consumes it with a conditional insert, so a replay, or a second person who
// sees the note, gets a page saying it was used. It only ever creates a mapping where none exists: a mapping an
// admin made by hand (or an earlier link to another account) is never replaced; the attempt is refused, written
// to the issue's audit trail for the admin, and the person is told why.
//
// The sign-in asks for `openid profile` and nothing else: no Graph scope and no `offline_access` (MSAL adds it to
// every request by default, so this flow's requests go through a network client that takes it out; without it
// Entra issues no refresh token, auth-code-flow "refresh_token ... Only provided if offline_access scope was
// requested"). What is kept is the id token's `oid`, `preferred_username` and `name` in the mapping row; the
// MSAL cache of this sign-in lives only in memory and is cleared at once.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CryptoProvider, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import type { Runtime } from '../runtime.js';
import { createMsalApp, describeAuthError } from '../identity/msal.js';
import type { Page } from '../identity/pages.js';
import { consumeState, createState, describeStateFailure, signingKey } from '../identity/state.js';
import { writeAudit } from '../jobs/audit.js';
import { insertEntity, readEntity, tableNames } from '../storage/tables.js';
import { saveMapping, type MappedUser } from './mapping.js';

export type SelfLinkDeps = Pick<Runtime, 'config' | 'secrets' | 'tables' | 'clock' | 'log'>;

/** How long an invitation in a Jira note stays valid. */
export const invitationDays = 14;

/** The only scopes the self-link sign-in asks for: enough for an id token with `oid` and `tid`. */
export const selfLinkScopes = ['openid', 'profile'];

interface Invitation {
  t: string; // tenant id
  s: string; // site id
  a: string; // Atlassian accountId
  e: number; // expiry, seconds since epoch
  k?: string; // issue key whose note carries the invitation (for the audit trail)
  n?: string; // random, so two invitations for one account are two single-use invitations
}

export async function selfLinkUrl(deps: SelfLinkDeps, invitation: { tenantId: string; siteId: string; accountId: string; issueKey?: string }): Promise<string> {
  const payload: Invitation = {
    t: invitation.tenantId,
    s: invitation.siteId,
    a: invitation.accountId,
    e: Math.floor(deps.clock.now().getTime() / 1000) + invitationDays * 86400,
    k: invitation.issueKey,
    n: randomBytes(9).toString('base64url'),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', await signingKey(deps.secrets)).update(`self-link.${body}`).digest('base64url');
  return `${deps.config.publicBaseUrl}/api/self-link/start?invitation=${body}.${mac}`;
}

/** Rows marking used invitations, beside the mappings: PK `invitation|<tenant>`, RK the invitation id. */
const usedPartition = (tenantId: string) => `invitation|${tenantId}`;

/** An invitation's id: a digest of its signed body (older invitations without `n` are single-use too). */
function invitationId(body: string): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 32);
}

async function invitationUsed(deps: SelfLinkDeps, tenantId: string, id: string): Promise<boolean> {
  return Boolean(await readEntity(await deps.tables.table(tableNames.userMappings), usedPartition(tenantId), id));
}

const usedPage: Page = {
  status: 410,
  title: 'This link has already been used',
  paragraphs: [
    'Each link to connect a Jira account with a Microsoft 365 account works once, and this one has been used.',
    'If your accounts are not linked yet, ask a Jira admin to check the user mappings or to send you a new link.',
  ],
};

async function readInvitation(deps: SelfLinkDeps, value: string | null): Promise<(Invitation & { id: string }) | string> {
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
  return { ...invitation, id: invitationId(body) };
}

/** GET /api/self-link/start?invitation=…: checks the invitation and sends the person to Microsoft sign-in. */
export async function startSelfLink(deps: SelfLinkDeps, invitationValue: string | null): Promise<{ ok: true; url: string } | { ok: false; page: Page }> {
  const invitation = await readInvitation(deps, invitationValue);
  if (typeof invitation === 'string') return { ok: false, page: { status: 400, title: 'This link cannot be used', paragraphs: [invitation] } };
  if (await invitationUsed(deps, invitation.t, invitation.id)) return { ok: false, page: usedPage };
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = await createState(deps, 'self-link', {
    tenant: invitation.t,
    feature: 'chats',
    siteId: invitation.s,
    accountId: invitation.a,
    invitationId: invitation.id,
    issueKey: invitation.k,
    codeVerifier: pkce.verifier,
  });
  const app = await createMsalApp(deps, invitation.t, undefined, openIdOnlyNetwork);
  const authorize = await app.getAuthCodeUrl({
    scopes: selfLinkScopes,
    redirectUri: `${deps.config.publicBaseUrl}/api/auth/callback`,
    state,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    responseMode: 'query',
    prompt: 'select_account',
  });
  return { ok: true, url: withoutOfflineAccess(authorize) };
}

/** MSAL appends `offline_access` to every authorize URL; this sign-in needs no refresh token, so it goes. */
function withoutOfflineAccess(url: string): string {
  const u = new URL(url);
  const scope = u.searchParams.get('scope');
  if (scope) u.searchParams.set('scope', dropOfflineAccess(scope));
  return u.toString();
}

function dropOfflineAccess(scope: string): string {
  return scope
    .split(' ')
    .filter((s) => s && s !== 'offline_access')
    .join(' ');
}

/**
 * MSAL's HTTP client for this flow: plain fetch, with `offline_access` taken out of the token request's `scope`
 * (MSAL adds it there too). Only the scope field of a form body is touched.
 */
const openIdOnlyNetwork: INetworkModule = {
  async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const r = await fetch(url, { headers: options?.headers, signal: timeout ? AbortSignal.timeout(timeout) : undefined });
    return { status: r.status, headers: Object.fromEntries(r.headers), body: await jsonBody<T>(r) };
  },
  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    let body = options?.body;
    if (body) {
      const form = new URLSearchParams(body);
      const scope = form.get('scope');
      if (scope !== null) {
        form.set('scope', dropOfflineAccess(scope));
        body = form.toString();
      }
    }
    const r = await fetch(url, { method: 'POST', headers: options?.headers, body });
    return { status: r.status, headers: Object.fromEntries(r.headers), body: await jsonBody<T>(r) };
  },
};

/** MSAL reads errors from the JSON body; a non-JSON answer (a proxy's error page) becomes an empty object. */
async function jsonBody<T>(r: Response): Promise<T> {
  const text = await r.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    return {} as T;
  }
}

/** The state's flow kind, read without verifying it (the flow's own handler verifies). */
export function stateKind(state: string | null): string | undefined {
  return state?.split('.')[3];
}

/** GET /api/auth/callback for a self-link sign-in: store the mapping of the invited accountId to this user. */
export async function completeSelfLink(deps: SelfLinkDeps, query: URLSearchParams): Promise<Page> {
  const check = await consumeState(deps, 'self-link', query.get('state'));
  if (!check.ok) return { status: 400, title: 'Your accounts were not linked', paragraphs: [describeStateFailure(check.reason)] };
  const { tenant: tenantId, accountId, codeVerifier, siteId, invitationId: usedId, issueKey } = check.record;
  const error = query.get('error');
  if (error) {
    return { status: error === 'access_denied' ? 403 : 400, title: 'Your accounts were not linked', paragraphs: [`Microsoft sign-in ended with "${error}". Open the link from the Jira issue to try again.`] };
  }
  const code = query.get('code');
  if (!code || !codeVerifier || !accountId) return { status: 400, title: 'Your accounts were not linked', paragraphs: ['Microsoft returned no authorization code. Open the link from the Jira issue again.'] };

  const app = await createMsalApp(deps, tenantId, undefined, openIdOnlyNetwork);
  let result;
  try {
    const state = query.get('state') ?? '';
    result = await app.acquireTokenByCode({ code, scopes: selfLinkScopes, redirectUri: `${deps.config.publicBaseUrl}/api/auth/callback`, codeVerifier, state }, { code, state });
  } catch (e) {
    deps.log.warn('selfLink.redeemFailed', { tenantId, error: describeAuthError(e) });
    return { status: 400, title: 'Your accounts were not linked', paragraphs: [`Signing in with Microsoft failed (${describeAuthError(e)}). Open the link from the Jira issue again.`] };
  } finally {
    // Nothing of this sign-in but the id token's claims is kept: the in-memory MSAL cache is emptied now.
    app.clearCache();
  }
  const claims = (result.idTokenClaims ?? {}) as { oid?: string; tid?: string; preferred_username?: string; name?: string };
  if (!claims.oid || claims.tid?.toLowerCase() !== tenantId.toLowerCase()) {
    return { status: 400, title: 'Signed in to the wrong organisation', paragraphs: [`Sign in with your account of the organisation this Jira site works with (tenant ${tenantId}).`] };
  }

  const table = await deps.tables.table(tableNames.userMappings);
  // Single use, atomically: of two people completing the same invitation, exactly one gets past this insert.
  if (usedId) {
    const consumed = await insertEntity(table, usedPartition(tenantId), usedId, { accountId, entraObjectId: claims.oid, usedAt: deps.clock.now().toISOString() });
    if (!consumed.created) return usedPage;
  }
  const audit = (outcome: 'done' | 'failed', detail: string) =>
    siteId
      ? writeAudit(deps, { siteId, issueKey: issueKey ?? 'self-link', jobId: `self-link-${usedId ?? accountId}`, action: 'self-link', outcome, detail }).catch(() => undefined)
      : Promise.resolve();

  const existing = await readEntity<Omit<MappedUser, 'accountId'>>(table, tenantId, accountId);
  const who = claims.preferred_username ?? claims.oid;
  if (existing && existing.entraObjectId.toLowerCase() !== claims.oid.toLowerCase() && existing.entraObjectId.toLowerCase() !== claims.preferred_username?.toLowerCase()) {
    // Never replace a mapping: an admin's manual one, or an earlier link to someone else. The admin decides.
    const detail = `self-link-conflict: ${who} (${claims.oid}) tried to link Jira account ${accountId}, which is already mapped (${existing.source}) to ${existing.userPrincipalName ?? existing.entraObjectId}; nothing was changed. Delete or correct the mapping to change it.`;
    deps.log.warn('selfLink.conflict', { tenantId, siteId, accountId, source: existing.source, issueKey });
    await audit('failed', detail);
    return {
      status: 409,
      title: 'Your accounts were not linked',
      paragraphs: [
        existing.source === 'manual'
          ? `A Jira admin has already mapped the Jira account ${accountId} to a Microsoft 365 account, and a link you make yourself never replaces that.`
          : `The Jira account ${accountId} is already linked to another Microsoft 365 account.`,
        'Nothing was changed. The Jira admins can see this attempt in the issue\'s audit trail; ask them to correct the mapping if it is wrong.',
      ],
    };
  }
  if (!existing) {
    await saveMapping(deps, tenantId, {
      accountId,
      entraObjectId: claims.oid,
      userPrincipalName: claims.preferred_username,
      displayName: claims.name,
      isGuest: false,
      source: 'self-link',
    });
  }
  deps.log.info('selfLink.linked', { tenantId, siteId, accountId, already: Boolean(existing) });
  await audit('done', `Jira account ${accountId} linked to ${who} by self-link`);
  return {
    status: 200,
    title: existing ? 'Your accounts were already linked' : 'Your accounts are linked',
    paragraphs: [
      `The Jira account ${accountId} is ${existing ? 'linked' : 'now linked'} to ${claims.preferred_username ?? 'your Microsoft 365 account'}.`,
      'You will be added to the Teams chats of issues you take part in from the next update on. If this is not your Jira account, tell a Jira admin.',
    ],
  };
}
