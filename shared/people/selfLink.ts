// Self-link: a person whose Jira e-mail is hidden links their Atlassian account to their Microsoft 365 account by
// signing in with Microsoft once. The invitation is a link in the issue's internal "could not be added" note,
// signed by the app for exactly one (tenant, site, accountId) as a JWT (shared/identity/signedToken.ts: HS256 with
// the app's key, `aud` "self-link", so an OAuth state is no invitation and an invitation no state), expiring, and
// single-use: the first sign-in that
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
import { randomBytes } from 'node:crypto';
import { CryptoProvider, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import type { Runtime } from '../runtime.js';
import { createMsalApp, describeAuthError } from '../identity/msal.js';
import type { Page } from '../identity/pages.js';
import { signToken, verifyToken } from '../identity/signedToken.js';
import { consumeState, createState, describeStateFailure, signingKey, stateFlow } from '../identity/state.js';
import { writeAudit } from '../jobs/audit.js';
import { insertEntity, readEntity, tableNames } from '../storage/tables.js';
import { saveMapping, type MappedUser } from './mapping.js';

export type SelfLinkDeps = Pick<Runtime, 'config' | 'secrets' | 'tables' | 'clock' | 'log'>;

/** How long an invitation in a Jira note stays valid. */
export const invitationDays = 14;

/** The only scopes the self-link sign-in asks for: enough for an id token with `oid` and `tid`. */
export const selfLinkScopes = ['openid', 'profile'];

/** The invitation's claims besides `iss`/`aud`/`iat`/`exp`; one-letter names keep the link in a note short. */
interface Invitation {
  t: string; // tenant id
  s: string; // site id
  a: string; // Atlassian accountId
  k?: string; // issue key whose note carries the invitation (for the audit trail)
  jti: string; // random: the invitation's id, so two invitations for one account are two single-use invitations
}

export async function selfLinkUrl(deps: SelfLinkDeps, invitation: { tenantId: string; siteId: string; accountId: string; issueKey?: string }): Promise<string> {
  const claims: Invitation = {
    t: invitation.tenantId,
    s: invitation.siteId,
    a: invitation.accountId,
    ...(invitation.issueKey ? { k: invitation.issueKey } : {}),
    jti: randomBytes(12).toString('base64url'),
  };
  const now = deps.clock.now();
  const token = await signToken(await signingKey(deps.secrets), 'self-link', { ...claims }, now, new Date(now.getTime() + invitationDays * 86400_000));
  return `${deps.config.publicBaseUrl}/api/self-link/start?invitation=${token}`;
}

/** Rows marking used invitations, beside the mappings: PK `invitation|<tenant>`, RK the invitation id. */
const usedPartition = (tenantId: string) => `invitation|${tenantId}`;

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
  if (!value || value.split('.').length !== 3) return 'The link is incomplete. Open the whole link from the Jira issue.';
  const check = await verifyToken<Partial<Invitation>>(await signingKey(deps.secrets), 'self-link', value, deps.clock.now());
  if (!check.ok) {
    switch (check.reason) {
      case 'expired':
        return 'The link has expired. Ask a Jira admin to run the chat action again for a new one.';
      case 'malformed':
        return 'The link is malformed. Open the link from the Jira issue again.';
      default:
        // A bad signature, or a token of this app made for something else (an OAuth state): not an invitation.
        return 'The link was altered. Open the link from the Jira issue again.';
    }
  }
  const { t, s, a, k, jti } = check.claims;
  if (typeof t !== 'string' || typeof s !== 'string' || typeof a !== 'string' || typeof jti !== 'string' || (k !== undefined && typeof k !== 'string')) {
    return 'The link is malformed. Open the link from the Jira issue again.';
  }
  // The id marks the invitation used (a row key): the random `jti` the app signed, so it is unique and key-safe.
  return { t, s, a, k, jti, id: jti };
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
  const app = await createMsalApp(deps, invitation.t, undefined, openIdOnly);
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
 * MSAL's HTTP client for this flow: the app's own (with its deadline), with `offline_access` taken out of the token
 * request's `scope` (MSAL adds it there too). Only the scope field of a form body is touched.
 */
function openIdOnly(base: INetworkModule): INetworkModule {
  return {
    sendGetRequestAsync: (url, options, timeout) => base.sendGetRequestAsync(url, options, timeout),
    sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
      let body = options?.body;
      if (body) {
        const form = new URLSearchParams(body);
        const scope = form.get('scope');
        if (scope !== null) {
          form.set('scope', dropOfflineAccess(scope));
          body = form.toString();
        }
      }
      return base.sendPostRequestAsync<T>(url, { ...options, body });
    },
  };
}

/** The state's flow kind, read without verifying it (the flow's own handler verifies). */
export function stateKind(state: string | null): string | undefined {
  return stateFlow(state);
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

  const app = await createMsalApp(deps, tenantId, undefined, openIdOnly);
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
