// The admin API behind /api/manage/tenants... and /api/manage/service-users... (DESIGN §4 "admin tooling"): list a
// site's tenant connections, disconnect (connection and tokens go; everything in Teams stays), test a (tenant,
// feature), choose app-only vs delegated per feature, store the app's client credential, manage service users.
// Requests arrive already authenticated by the function key; input is validated here and answered with precise
// 4xx errors naming the field.
import { NeedsReauthError, PermanentError } from '../errors.js';
import { fail, invalid, methodNotAllowed, type HttpOutcome } from '../http/outcome.js';
import { deleteParkedJob, listParkedJobs } from '../storage/parkedJobs.js';
import { deleteServiceUser, listServiceUsers, readServiceUser, type ServiceUserRecord } from '../storage/serviceUsers.js';
import {
  deleteTenant,
  listSitesForTenant,
  listTenants,
  listTenantsForSite,
  readSiteTenantLink,
  readTenant,
  unlinkSiteTenant,
  updateTenant,
} from '../storage/tenantConnections.js';
import { guidPattern, parseFeature, siteIdPattern } from './consent.js';
import { featureScopes } from './features.js';
import { features, type Feature } from '../features.js';
import { clientCredentialSecretName, deleteTokenCache, describeAuthError, validateStoredCredential, type StoredClientCredential } from './msal.js';
import { revalidateServiceUser } from './keepAlive.js';
import { getAppOnlyToken, reauthPath, refreshDelegated, resetAppOnlyClients, resumeParkedJobs, type IdentityDeps } from './tokens.js';
import { validateServiceUser } from './validateServiceUser.js';
import { unfollowTenant } from '../chatToJira/hooks.js';

export interface AdminRequest {
  method: string;
  /** Route segments after `/api/manage/tenants` or `/api/manage/service-users`, already URL-decoded. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
}


function tenantParam(value: string | undefined): string | HttpOutcome {
  if (!value || !guidPattern.test(value)) return fail(400, 'tenant_invalid', 'the tenant in the path must be a tenant id (GUID)');
  return value.toLowerCase();
}

/** The methods of /tenants/{tenantId}[/{action}], by action ('' for none), for the 405 of another method. */
const tenantRouteMethods: Record<string, readonly string[] | undefined> = { '': ['GET', 'DELETE'], test: ['POST'], modes: ['PUT'] };
/** The same for /service-users/{tenantId}/{feature}[/{action}]. */
const serviceUserRouteMethods: Record<string, readonly string[] | undefined> = { '': ['GET', 'DELETE'], refresh: ['POST'], resume: ['POST'] };

// ---- /api/manage/tenants ----------------------------------------------------------------------------------------

export async function adminTenants(deps: IdentityDeps, req: AdminRequest): Promise<HttpOutcome> {
  const [first, action, extra] = req.segments;
  if (extra !== undefined) return fail(404, 'not_found', 'no such admin route');
  if (first === 'app-credential' && action === undefined) {
    if (req.method === 'PUT') return setAppCredential(deps, req.body);
    if (req.method === 'DELETE') {
      await deps.secrets.delete(clientCredentialSecretName);
      resetAppOnlyClients();
      return { status: 204 };
    }
    return fail(405, 'method_not_allowed', 'app-credential supports PUT and DELETE', { Allow: 'PUT, DELETE' });
  }
  if (first === undefined) {
    if (req.method !== 'GET') return fail(405, 'method_not_allowed', 'use GET to list tenant connections', { Allow: 'GET' });
    const site = req.query.get('site');
    if (site !== null && !siteIdPattern.test(site)) return fail(400, 'site_invalid', 'query parameter site must be a Jira site id');
    const tenantIds = site !== null ? await listTenantsForSite(deps, site) : (await listTenants(deps.tables)).map((t) => t.tenantId);
    return { status: 200, body: { site: site ?? undefined, tenants: await Promise.all(tenantIds.map((id) => describeTenant(deps, id))) } };
  }
  const tenantId = tenantParam(first);
  if (typeof tenantId !== 'string') return tenantId;

  if (action === undefined && req.method === 'GET') {
    const t = await readTenant(deps.tables, tenantId);
    if (!t) return fail(404, 'tenant_not_found', `tenant ${tenantId} is not connected`);
    return { status: 200, body: await describeTenant(deps, tenantId) };
  }
  if (action === undefined && req.method === 'DELETE') return disconnect(deps, tenantId, req.query.get('site'));
  if (action === 'test' && req.method === 'POST') {
    const feature = parseFeature(req.query.get('feature') ?? (req.body as { feature?: string } | undefined)?.feature);
    if (!feature.ok) return invalid(feature);
    return { status: 200, body: await testConnection(deps, tenantId, feature.feature) };
  }
  if (action === 'modes' && req.method === 'PUT') return setMode(deps, tenantId, req.body);
  // A route that exists with another method is a 405 naming the right ones (docs/admin-api.md), not a 404.
  const allowed = tenantRouteMethods[action ?? ''];
  if (allowed) return methodNotAllowed(allowed);
  return fail(404, 'not_found', `no admin route ${req.method} /api/manage/tenants/${tenantId}${action ? `/${action}` : ''}`);
}

async function describeTenant(deps: IdentityDeps, tenantId: string) {
  const t = await readTenant(deps.tables, tenantId);
  const users = await listServiceUsers(deps.tables, tenantId);
  return {
    tenantId,
    sites: await listSitesForTenant(deps, tenantId),
    appOnlyConsentedAt: t?.appConsentedAt,
    features: Object.fromEntries(
      features
        .filter((f) => t?.consentedFeatures[f] || users.some((u) => u.feature === f))
        .map((f) => [f, { consentedAt: t?.consentedFeatures[f], mode: t?.modes[f] ?? 'delegated', serviceUser: publicServiceUser(users.find((u) => u.feature === f)) }]),
    ),
  };
}

/** What the admin API shows of a service user: who and how it is, never the token cache. */
export function publicServiceUser(u: ServiceUserRecord | undefined) {
  if (!u) return undefined;
  return {
    objectId: u.objectId,
    userPrincipalName: u.userPrincipalName,
    displayName: u.displayName,
    status: u.status,
    statusReason: u.statusReason,
    grantedScopes: u.grantedScopes,
    degraded: u.degraded,
    signedInAt: u.signedInAt,
    lastRefreshAt: u.lastRefreshAt,
    lastRefreshError: u.lastRefreshError,
    reauthPath: reauthPath(u.tenantId, u.feature),
  };
}

/**
 * Disconnects a site from a tenant (or every site with no `site`). When no site is left, the tenant's service
 * users, their token caches and parked jobs go too. Nothing is sent to Graph: chats, meetings and messages in
 * Teams stay as they are. (Revoking the app's consent itself is done by a Microsoft 365 admin in Entra.)
 */
export async function disconnect(deps: IdentityDeps, tenantId: string, site: string | null): Promise<HttpOutcome> {
  if (site !== null && !siteIdPattern.test(site)) return fail(400, 'site_invalid', 'query parameter site must be a Jira site id');
  const sites = site !== null ? [site] : await listSitesForTenant(deps, tenantId);
  if (site !== null && !(await readSiteTenantLink(deps.tables, site, tenantId))) {
    return fail(404, 'connection_not_found', `site ${site} is not connected to tenant ${tenantId}`);
  }
  if (site === null && !(await readTenant(deps.tables, tenantId)) && sites.length === 0) {
    return fail(404, 'tenant_not_found', `tenant ${tenantId} is not connected`);
  }
  for (const s of sites) await unlinkSiteTenant(deps.tables, s, tenantId);
  await unfollowTenant(deps, tenantId, sites);
  const remaining = await listSitesForTenant(deps, tenantId);
  let removedServiceUsers = 0;
  if (remaining.length === 0) {
    const users = await listServiceUsers(deps.tables, tenantId);
    for (const cache of new Set(users.map((u) => u.cacheSecretName))) await deleteTokenCache(deps.secrets, cache);
    for (const u of users) {
      await deleteServiceUser(deps.tables, tenantId, u.feature);
      removedServiceUsers++;
    }
    for (const f of features) for (const j of await listParkedJobs(deps.tables, tenantId, f)) await deleteParkedJob(deps.tables, tenantId, f, j.rowKey);
    await deleteTenant(deps.tables, tenantId);
  }
  deps.log.info('tenant.disconnected', { tenantId, sites, remainingSites: remaining.length, removedServiceUsers });
  return { status: 200, body: { tenantId, disconnectedSites: sites, remainingSites: remaining, removedServiceUsers, tenantRemoved: remaining.length === 0 } };
}

async function setMode(deps: IdentityDeps, tenantId: string, body: unknown): Promise<HttpOutcome> {
  const b = (body ?? {}) as { feature?: unknown; mode?: unknown };
  const feature = parseFeature(typeof b.feature === 'string' ? b.feature : undefined);
  if (!feature.ok) return fail(400, 'feature_invalid', 'body.feature must be one of chats, meetings, bookings, mail, chat-to-jira');
  if (b.mode !== 'app' && b.mode !== 'delegated') return fail(400, 'mode_invalid', 'body.mode must be "app" or "delegated"');
  const t = await readTenant(deps.tables, tenantId);
  if (!t) return fail(404, 'tenant_not_found', `tenant ${tenantId} is not connected`);
  const mode = b.mode;
  const next = await updateTenant(deps.tables, tenantId, (c) => ({ ...c, modes: { ...c.modes, [feature.feature]: mode } }), deps.clock.now());
  deps.log.info('tenant.modeChanged', { tenantId, feature: feature.feature, mode });
  return {
    status: 200,
    body: {
      tenantId,
      feature: feature.feature,
      mode,
      // Tell the admin what is still missing rather than failing jobs later.
      warnings: [
        ...(mode === 'app' && !next.appConsentedAt
          ? [`no admin consented to application permissions yet: send /api/consent/start?tenant=${tenantId}&feature=${feature.feature}&site=<site>&mode=app`]
          : []),
        ...(mode === 'app' && feature.feature === 'chats'
          ? ['posting chat messages stays delegated (Graph allows app-only posting only for migration), so chats still need a service user']
          : []),
      ],
    },
  };
}

async function setAppCredential(deps: IdentityDeps, body: unknown): Promise<HttpOutcome> {
  const b = (body ?? {}) as { clientSecret?: unknown; certificatePem?: unknown };
  let value: StoredClientCredential;
  if (typeof b.clientSecret === 'string' && b.certificatePem === undefined) value = { kind: 'secret', clientSecret: b.clientSecret };
  else if (typeof b.certificatePem === 'string' && b.clientSecret === undefined) value = { kind: 'certificate', pem: b.certificatePem };
  else return fail(400, 'credential_invalid', 'body must have exactly one of clientSecret (string) or certificatePem (PEM certificate and private key)');
  try {
    validateStoredCredential(value);
  } catch (e) {
    if (e instanceof PermanentError) return fail(400, e.code, e.message);
    return fail(400, 'credential_invalid', 'the credential could not be read');
  }
  await deps.secrets.set(clientCredentialSecretName, JSON.stringify(value), { contentType: 'application/json' });
  resetAppOnlyClients();
  deps.log.info('entra.clientCredentialStored', { kind: value.kind });
  return { status: 204 };
}

export interface TestStep {
  step: 'consent' | 'token' | 'me' | 'scopes' | 'licence';
  ok: boolean;
  detail: string;
}

/**
 * "Test connection" for a (tenant, feature): consent recorded, token acquisition (app-only or the service user's),
 * then for delegated `/me`, the feature's scopes, and the licence (the same checks as sign-in).
 */
export async function testConnection(deps: IdentityDeps, tenantId: string, feature: Feature): Promise<{ tenantId: string; feature: Feature; mode: string; ok: boolean; steps: TestStep[] }> {
  const steps: TestStep[] = [];
  const t = await readTenant(deps.tables, tenantId);
  const mode = t?.modes[feature] ?? 'delegated';
  const done = () => ({ tenantId, feature, mode, ok: steps.every((s) => s.ok), steps });
  if (!t) {
    steps.push({ step: 'consent', ok: false, detail: `tenant ${tenantId} is not connected` });
    return done();
  }
  if (mode === 'app') {
    steps.push({ step: 'consent', ok: !!t.appConsentedAt, detail: t.appConsentedAt ? `application permissions consented at ${t.appConsentedAt}` : 'no admin consent for application permissions' });
    try {
      await getAppOnlyToken(deps, tenantId, { skipCache: true });
      steps.push({ step: 'token', ok: true, detail: 'client-credentials token acquired' });
    } catch (e) {
      steps.push({ step: 'token', ok: false, detail: `client-credentials token failed: ${describeAuthError(e)}` });
    }
    return done();
  }
  const consentedAt = t.consentedFeatures[feature];
  steps.push({ step: 'consent', ok: !!consentedAt, detail: consentedAt ? `consented at ${consentedAt}` : `no admin consent for ${feature}` });
  const user = await readServiceUser(deps.tables, tenantId, feature);
  if (!user) {
    steps.push({ step: 'token', ok: false, detail: `no service user: sign one in at ${reauthPath(tenantId, feature)}` });
    return done();
  }
  let accessToken: string;
  try {
    accessToken = (await refreshDelegated(deps, user, { force: false })).accessToken;
    steps.push({ step: 'token', ok: true, detail: `token acquired for ${user.userPrincipalName}` });
  } catch (e) {
    steps.push({
      step: 'token',
      ok: false,
      detail: e instanceof NeedsReauthError ? `needs re-authentication: open ${e.reauthPath}` : `token request failed: ${e instanceof Error ? e.message : String(e)}`,
    });
    return done();
  }
  const lower = new Set(user.grantedScopes.map((s) => s.toLowerCase()));
  const missing = featureScopes[feature].required.filter((s) => !lower.has(s.toLowerCase()));
  const validation = await validateServiceUser(deps, accessToken, feature);
  steps.push({
    step: 'me',
    ok: !!validation.profile,
    detail: validation.profile ? `GET /me answered for ${validation.profile.userPrincipalName}` : validation.ok ? '' : validation.reason,
  });
  steps.push({
    step: 'scopes',
    ok: missing.length === 0,
    detail: missing.length
      ? `missing required scopes: ${missing.join(', ')}`
      : user.degraded.length
        ? `required scopes present; degraded: ${user.degraded.map((d) => `${d.capability} (needs ${d.scope})`).join('; ')}`
        : 'all scopes present',
  });
  steps.push({ step: 'licence', ok: validation.ok, detail: validation.ok ? 'account and licence valid' : validation.reason });
  return done();
}

// ---- /api/manage/service-users ----------------------------------------------------------------------------------

export async function adminServiceUsers(deps: IdentityDeps, req: AdminRequest): Promise<HttpOutcome> {
  const [first, second, action, extra] = req.segments;
  if (extra !== undefined) return fail(404, 'not_found', 'no such admin route');
  if (first === undefined) {
    if (req.method !== 'GET') return fail(405, 'method_not_allowed', 'use GET to list service users', { Allow: 'GET' });
    const tenant = req.query.get('tenant');
    const tenantIds = tenant !== null ? [tenantParam(tenant)] : (await listTenants(deps.tables)).map((t) => t.tenantId);
    const bad = tenantIds.find((t) => typeof t !== 'string');
    if (bad) return bad as HttpOutcome;
    const out = [];
    for (const id of tenantIds as string[]) out.push(...(await listServiceUsers(deps.tables, id)).map((u) => ({ tenantId: id, feature: u.feature, ...publicServiceUser(u) })));
    return { status: 200, body: { serviceUsers: out } };
  }
  const tenantId = tenantParam(first);
  if (typeof tenantId !== 'string') return tenantId;
  if (second === undefined) {
    if (req.method !== 'GET') return fail(405, 'method_not_allowed', 'use GET to list a tenant\'s service users', { Allow: 'GET' });
    return { status: 200, body: { serviceUsers: (await listServiceUsers(deps.tables, tenantId)).map((u) => ({ tenantId, feature: u.feature, ...publicServiceUser(u) })) } };
  }
  const feature = parseFeature(second);
  if (!feature.ok) return fail(400, 'feature_invalid', 'the feature in the path must be one of chats, meetings, bookings, mail, chat-to-jira');
  const f = feature.feature;
  const user = await readServiceUser(deps.tables, tenantId, f);

  if (action === undefined && req.method === 'GET') {
    if (!user) return fail(404, 'service_user_not_found', `no service user for tenant ${tenantId} feature ${f}`);
    return { status: 200, body: { tenantId, feature: f, ...publicServiceUser(user), parkedJobs: (await listParkedJobs(deps.tables, tenantId, f)).length } };
  }
  if (action === undefined && req.method === 'DELETE') {
    if (!user) return fail(404, 'service_user_not_found', `no service user for tenant ${tenantId} feature ${f}`);
    await deleteServiceUser(deps.tables, tenantId, f);
    const stillUsed = (await listServiceUsers(deps.tables, tenantId)).some((u) => u.cacheSecretName === user.cacheSecretName);
    if (!stillUsed) await deleteTokenCache(deps.secrets, user.cacheSecretName);
    deps.log.info('serviceUser.removed', { tenantId, feature: f, tokenCacheDeleted: !stillUsed });
    return { status: 200, body: { tenantId, feature: f, removed: true, tokenCacheDeleted: !stillUsed } };
  }
  if (action === 'refresh' && req.method === 'POST') {
    if (!user) return fail(404, 'service_user_not_found', `no service user for tenant ${tenantId} feature ${f}`);
    let accessToken: string;
    try {
      accessToken = (await refreshDelegated(deps, user, { force: true })).accessToken;
    } catch (e) {
      if (e instanceof NeedsReauthError) return fail(409, 'needs_reauth', e.message);
      throw e;
    }
    // Re-validate too: after an admin restores a licence, this is how they bring the parked jobs back at once.
    const { resumed } = await revalidateServiceUser(deps, user, accessToken);
    return { status: 200, body: { tenantId, feature: f, ...publicServiceUser(await readServiceUser(deps.tables, tenantId, f)), resumed } };
  }
  if (action === 'resume' && req.method === 'POST') {
    if (user?.status !== 'active') return fail(409, 'service_user_not_active', `the service user for tenant ${tenantId} feature ${f} is not active; sign it in first`);
    return { status: 200, body: { tenantId, feature: f, resumed: await resumeParkedJobs(deps, tenantId, f) } };
  }
  const allowed = serviceUserRouteMethods[action ?? ''];
  if (allowed) return methodNotAllowed(allowed);
  return fail(404, 'not_found', `no admin route ${req.method} /api/manage/service-users/${tenantId}/${f}${action ? `/${action}` : ''}`);
}
