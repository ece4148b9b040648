// Service-user sign-in (DESIGN §6): authorization code + PKCE + offline_access through msal-node, then account
// validation, then the MSAL token cache goes to the secret store and the service-user row becomes `active`.
// A re-authentication of the same account brings every feature it serves back and resumes their parked jobs.
import { CryptoProvider } from '@azure/msal-node';
import { PermanentError } from '../errors.js';
import { invalid, methodNotAllowed, ok, redirect, type HttpOutcome } from '../http/outcome.js';
import { listServiceUsers, readServiceUser, writeServiceUser, type ServiceUserRecord } from '../storage/serviceUsers.js';
import { readTenant, updateTenant } from '../storage/tenantConnections.js';
import { parseFeature, parseTenant, type Invalid } from './consent.js';
import { bareScopes, featureGraphScopes, featureScopes, graphScopeUris, oidcScopes, userConsentFeatures } from './features.js';
import { type Feature } from '../features.js';
import { createMsalApp, deleteTokenCache, describeAuthError, SecretStoreCachePlugin, storeTokenCache, tokenCacheSecretName } from './msal.js';
import type { Page } from './pages.js';
import { consumeState, createState, describeStateFailure } from './state.js';
import { resumeParkedJobs, type IdentityDeps } from './tokens.js';
import { validateServiceUser } from './validateServiceUser.js';

export function authRedirectUri(deps: IdentityDeps): string {
  return `${deps.config.publicBaseUrl}/api/auth/callback`;
}

function signInScopes(feature: Feature): string[] {
  return [...oidcScopes.filter((s) => s !== 'email'), ...graphScopeUris(featureGraphScopes(feature))];
}

/** Builds the authorize URL for a (tenant, feature) service-user sign-in, with PKCE and a fresh state. */
export async function startServiceUserSignIn(
  deps: IdentityDeps,
  input: { tenant: string | null; feature: string | null; loginHint?: string | null },
): Promise<{ ok: true; url: string } | Invalid> {
  const tenant = parseTenant(input.tenant, 'tenant', false);
  if (!tenant.ok) return tenant;
  const feature = parseFeature(input.feature);
  if (!feature.ok) return feature;
  const loginHint = (input.loginHint ?? '').trim();
  if (loginHint && (loginHint.length > 320 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(loginHint))) {
    return { ok: false, status: 400, code: 'login_hint_invalid', message: 'query parameter login_hint must be the service account\'s sign-in name (user@domain)' };
  }
  const record = await readTenant(deps.tables, tenant.tenant);
  // A user-consent feature signs in without an admin's consent: the account's owner consents for themselves.
  if (!record?.consentedFeatures[feature.feature] && !userConsentFeatures.has(feature.feature)) {
    return {
      ok: false,
      status: 409,
      code: 'not_consented',
      message: `tenant ${tenant.tenant} has not consented to the ${feature.feature} feature yet: send a Microsoft 365 admin the link from /api/consent/start?tenant=${tenant.tenant}&feature=${feature.feature}&site=<site>`,
    };
  }
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = await createState(deps, 'sign-in', { tenant: tenant.tenant, feature: feature.feature, codeVerifier: pkce.verifier });
  let app;
  try {
    app = await createMsalApp(deps, tenant.tenant);
  } catch (e) {
    if (e instanceof PermanentError) return { ok: false, status: 409, code: e.code, message: e.message };
    throw e;
  }
  const url = await app.getAuthCodeUrl({
    scopes: signInScopes(feature.feature),
    redirectUri: authRedirectUri(deps),
    state,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    responseMode: 'query',
    // Without a hint, let the owner pick the service account rather than silently reuse their own browser session.
    // With one, the hint names the account; msal-node drops login_hint when prompt is select_account (Entra refuses
    // the pair), so no prompt is sent then. login_hint "pre-fills the username" (Entra v2-oauth2-auth-code-flow).
    ...(loginHint ? { loginHint } : { prompt: 'select_account' }),
  });
  return { ok: true, url };
}

/** GET /api/service-user/start as an HTTP answer: the sign-in link as JSON (`format=json`) or a redirect to it. */
export async function answerServiceUserStart(deps: IdentityDeps, method: string, query: URLSearchParams): Promise<HttpOutcome> {
  if (method !== 'GET') return methodNotAllowed(['GET']);
  const r = await startServiceUserSignIn(deps, { tenant: query.get('tenant'), feature: query.get('feature'), loginHint: query.get('login_hint') });
  if (!r.ok) return invalid(r);
  return query.get('format') === 'json' ? ok({ url: r.url }) : redirect(r.url);
}

export interface SignInResult {
  page: Page;
  outcome: 'signed-in' | 'refused' | 'rejected';
  tenantId?: string;
  feature?: Feature;
}

/** Handles the redirect from the authorize endpoint. */
export async function completeServiceUserSignIn(deps: IdentityDeps, query: URLSearchParams): Promise<SignInResult> {
  const log = deps.log.with({ flow: 'serviceUserSignIn' });
  const check = await consumeState(deps, 'sign-in', query.get('state'));
  if (!check.ok) {
    log.warn('signIn.stateRejected', { reason: check.reason });
    return reject(400, 'This sign-in cannot be completed', [describeStateFailure(check.reason)]);
  }
  const { tenant: tenantId, feature, codeVerifier } = check.record;
  const error = query.get('error');
  // No admin consent for a user-consent feature: the account's owner was asked to consent for themselves.
  const userConsent = userConsentFeatures.has(feature) && !(await readTenant(deps.tables, tenantId))?.consentedFeatures[feature];
  if (error) {
    const description = (query.get('error_description') ?? '').slice(0, 500);
    log.warn('signIn.failed', { tenantId, feature, error, userConsent });
    return reject(error === 'access_denied' ? 403 : 400, 'The service user was not signed in', [
      // Said whenever the owner may have been asked to consent: an earlier owner's consent recorded for the tenant
      // does not cover this account, so the bridge cannot tell a blocked prompt from a declined one.
      error === 'access_denied' && userConsentFeatures.has(feature)
        ? `The permissions for ${feature} were not granted. If Microsoft said "Need admin approval", tenant ${tenantId} does not let users consent to apps themselves (Entra ID → Enterprise applications → Consent and permissions → User consent settings): ask a Microsoft 365 admin to open the admin consent link for ${feature}, then sign in again. If you declined, sign in again and accept.`
        : error === 'access_denied'
        ? 'The sign-in was cancelled or the permissions were declined.'
        : error === 'consent_required'
          ? 'The account cannot consent to the permissions this feature needs. A Microsoft 365 admin must grant admin consent for the feature first.'
          : `Microsoft returned the error "${error}".`,
      ...(description ? [`Details from Microsoft: ${description}`] : []),
    ]);
  }
  const code = query.get('code');
  if (!code || !codeVerifier) return reject(400, 'The sign-in response is incomplete', ['Microsoft returned no authorization code. Start the sign-in again.']);

  const plugin = new SecretStoreCachePlugin(deps.secrets);
  const app = await createMsalApp(deps, tenantId, plugin);
  const state = query.get('state') ?? '';
  let result;
  try {
    result = await app.acquireTokenByCode(
      { code, scopes: signInScopes(feature), redirectUri: authRedirectUri(deps), codeVerifier, state },
      { code, state },
    );
  } catch (e) {
    log.warn('signIn.redeemFailed', { tenantId, feature, error: describeAuthError(e) });
    return reject(400, 'The service user was not signed in', [`Redeeming the sign-in with Microsoft failed (${describeAuthError(e)}). Start the sign-in again.`]);
  }
  const account = result.account;
  if (!account || account.tenantId.toLowerCase() !== tenantId) {
    return reject(400, 'Signed in to the wrong tenant', [
      `The account signed in to tenant ${account?.tenantId ?? 'unknown'}, but this link is for tenant ${tenantId}. Sign in with an account of ${tenantId}.`,
    ]);
  }

  // Scopes the token endpoint granted: a missing required one means the admin consent does not cover the feature;
  // a missing optional one degrades only its capability (DESIGN §6).
  const granted = bareScopes(result.scopes).filter((s) => !oidcScopes.includes(s));
  const grantedLower = new Set(granted.map((s) => s.toLowerCase()));
  const missingRequired = featureScopes[feature].required.filter((s) => !grantedLower.has(s.toLowerCase()));
  if (missingRequired.length) {
    return refuse(log, tenantId, feature, `the token lacks ${missingRequired.join(', ')}, which the ${feature} feature needs; ask a Microsoft 365 admin to grant consent for ${feature} again`);
  }
  const degraded = Object.entries(featureScopes[feature].optional)
    .filter(([scope]) => !grantedLower.has(scope.toLowerCase()))
    .map(([scope, capability]) => ({ scope, capability }));

  const validation = await validateServiceUser(deps, result.accessToken, feature);
  if (!validation.ok) return refuse(log, tenantId, feature, validation.reason);
  const profile = validation.profile;

  const cacheSecretName = tokenCacheSecretName(tenantId, account.localAccountId || profile.id);
  await storeTokenCache(deps.secrets, cacheSecretName, app.getTokenCache().serialize());

  const previous = await readServiceUser(deps.tables, tenantId, feature);
  const now = deps.clock.now().toISOString();
  const record: ServiceUserRecord = {
    tenantId,
    feature,
    objectId: profile.id,
    userPrincipalName: profile.userPrincipalName,
    displayName: profile.displayName,
    homeAccountId: account.homeAccountId,
    cacheSecretName,
    status: 'active',
    grantedScopes: granted,
    degraded,
    signedInAt: now,
    lastRefreshAt: now,
    updatedAt: now,
  };
  await writeServiceUser(deps.tables, record);
  if (userConsent) {
    // The owner's own consent covers their account's token; record the feature as consented so tokens are issued.
    await updateTenant(deps.tables, tenantId, (t) => ({ ...t, consentedFeatures: { ...t.consentedFeatures, [feature]: t.consentedFeatures[feature] ?? now } }), deps.clock.now());
    log.info('serviceUser.userConsent', { tenantId, feature, serviceUserObjectId: profile.id });
  }

  // The same account serving other features of this tenant shares the cache just written: bring those back too.
  const others = (await listServiceUsers(deps.tables, tenantId)).filter((u) => u.objectId === profile.id && u.feature !== feature);
  for (const other of others) {
    if (other.status === 'needs-reauth') {
      await writeServiceUser(deps.tables, { ...stripKeys(other), homeAccountId: account.homeAccountId, cacheSecretName, status: 'active', statusReason: undefined, lastRefreshError: undefined, lastRefreshAt: now, updatedAt: now });
    }
  }
  // A different account replaced the previous one: its cache goes unless another feature still uses it.
  if (previous && previous.cacheSecretName !== cacheSecretName) {
    const stillUsed = (await listServiceUsers(deps.tables, tenantId)).some((u) => u.cacheSecretName === previous.cacheSecretName);
    if (!stillUsed) await deleteTokenCache(deps.secrets, previous.cacheSecretName);
  }

  log.info('serviceUser.signedIn', { tenantId, feature, serviceUserObjectId: profile.id, degraded: degraded.map((d) => d.scope) });
  let resumed = await resumeParkedJobs(deps, tenantId, feature);
  for (const other of others) if (other.status === 'needs-reauth') resumed += await resumeParkedJobs(deps, tenantId, other.feature);

  return {
    outcome: 'signed-in',
    tenantId,
    feature,
    page: {
      status: 200,
      title: `Service user signed in for ${feature}`,
      paragraphs: [
        `${profile.userPrincipalName} now acts for the ${feature} feature in tenant ${tenantId}. Its token is stored in the app's secret store and kept alive automatically.`,
        ...(userConsent ? [`The permissions were granted by ${profile.userPrincipalName} for their own account (user consent); no admin consent was needed.`] : []),
        ...degraded.map((d) => `Limited: ${d.capability} is unavailable because the tenant has not granted ${d.scope}. An admin can grant it by consenting to ${feature} again.`),
        ...(resumed ? [`${resumed} waiting job(s) were resumed.`] : []),
      ],
    },
  };
}

function stripKeys<T extends object>(row: T & { etag?: string; partitionKey?: string; rowKey?: string }): T {
  const { etag: _e, partitionKey: _p, rowKey: _r, ...rest } = row;
  return rest as T;
}

function reject(status: number, title: string, paragraphs: string[]): SignInResult {
  return { outcome: 'rejected', page: { status, title, paragraphs } };
}

function refuse(log: IdentityDeps['log'], tenantId: string, feature: Feature, reason: string): SignInResult {
  log.warn('serviceUser.refused', { tenantId, feature, reason });
  return {
    outcome: 'refused',
    tenantId,
    feature,
    page: {
      status: 403,
      title: 'This account cannot be the service user',
      paragraphs: [`The sign-in worked, but the account was refused: ${reason}.`, 'Nothing was stored. Sign in again with a suitable account.'],
    },
  };
}
