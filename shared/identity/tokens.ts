// Graph access tokens for jobs: the delegated service user's token for a (tenant, feature), or an app-only
// (client-credentials) token when the tenant's admin chose app-only for that feature and the call allows it.
// Also the "park and resume" side of DESIGN §6: a job whose service user needs re-authentication is parked, not
// poisoned, and comes back by itself after the re-authentication.
import { AuthError } from '@azure/msal-node';
import { InvalidLicenceError, NeedsReauthError, PermanentError } from '../errors.js';
import { addLogDimensions } from '../log.js';
import type { Runtime } from '../runtime.js';
import { deleteParkedJob, insertParkedJob, listParkedJobs } from '../storage/parkedJobs.js';
import { listServiceUsers, patchServiceUser, readServiceUser, type ServiceUserRecord } from '../storage/serviceUsers.js';
import { listSitesForTenant, listTenants, listTenantsForSite, readTenant, type TenantRecord } from '../storage/tenantConnections.js';
import { featureLicence, graphScopeUris, oidcScopes } from './features.js';
import { features, type Feature } from '../features.js';
import { createMsalApp, describeAuthError, graphDefaultScope, isReauthError, SecretStoreCachePlugin } from './msal.js';

export type IdentityDeps = Pick<Runtime, 'config' | 'tables' | 'secrets' | 'log' | 'clock' | 'queues'>;

export { listSitesForTenant, listTenantsForSite };

export interface GraphToken {
  accessToken: string;
  kind: 'delegated' | 'app';
  serviceUserObjectId?: string;
  serviceUserUpn?: string;
}

/**
 * Path (relative to PUBLIC_BASE_URL) where an admin re-authenticates a (tenant, feature) service user: the
 * console's Microsoft 365 screen for it, which signs in directly or makes a single-use invitation for the account's
 * owner. Health answers and alerts are read by many; a usable sign-in link (or a function key) must not be in them.
 */
export function reauthPath(tenantId: string, feature: Feature): string {
  return `/api/console#/microsoft-365?tenant=${encodeURIComponent(tenantId)}&feature=${encodeURIComponent(feature)}`;
}

/**
 * A Graph token for one job.
 * - app-only when the admin chose `app` for the feature, app permissions were consented, and `allowAppOnly` (the
 *   caller knows whether Graph allows the call app-only: posting chat messages does not, graph-contract §0);
 * - otherwise the feature's service user, silently from the MSAL cache in the secret store (refreshing and
 *   rotating the refresh token when the access token expired).
 * Throws `PermanentError` `not_consented` / `service_user_missing` when nothing usable is set up,
 * `NeedsReauthError` when the refresh token is dead and `InvalidLicenceError` when the service user lost its
 * licence (the job runner parks both with `parkJob`).
 */
export async function getGraphToken(
  deps: IdentityDeps,
  request: { tenantId: string; feature: Feature; allowAppOnly?: boolean },
): Promise<GraphToken> {
  const { tenantId, feature } = request;
  addLogDimensions({ tenantId, feature });
  const tenant = await readTenant(deps.tables, tenantId);
  const useApp = request.allowAppOnly === true && tenant?.modes[feature] === 'app';
  if (useApp) {
    if (!tenant.appConsentedAt) {
      throw new PermanentError(
        `tenant ${tenantId} chose app-only for ${feature} but no admin consented to the app's application permissions: send ${consentPath(tenantId, feature)}&mode=app`,
        'not_consented',
        { tenantId, feature },
      );
    }
    return { accessToken: await getAppOnlyToken(deps, tenantId), kind: 'app' };
  }
  if (!tenant?.consentedFeatures[feature]) {
    throw new PermanentError(
      `tenant ${tenantId} has not consented to the ${feature} feature: ask a Microsoft 365 admin to open ${consentPath(tenantId, feature)}`,
      'not_consented',
      { tenantId, feature },
    );
  }
  const user = await readServiceUser(deps.tables, tenantId, feature);
  if (!user) {
    throw new PermanentError(
      `no service user signed in for tenant ${tenantId} feature ${feature}: open ${reauthPath(tenantId, feature)}`,
      'service_user_missing',
      { tenantId, feature },
    );
  }
  if (user.status === 'needs-reauth') throw needsReauth(deps, tenantId, feature);
  // A licence can come back (an admin re-assigns it): park the job until the keep-alive or an admin refresh sees
  // it, as for a dead refresh token, instead of failing it (DESIGN §9: no job lost).
  if (user.status === 'invalid-licence') throw invalidLicence(deps, tenantId, feature, user.statusReason);
  const result = await refreshDelegated(deps, user, { force: false });
  return { accessToken: result.accessToken, kind: 'delegated', serviceUserObjectId: user.objectId, serviceUserUpn: user.userPrincipalName };
}

/**
 * Silent token for a stored service user. `force` redeems the refresh token even when a cached access token is
 * still valid (the keep-alive uses it, so the 90-day inactivity window restarts). A dead refresh token flips every
 * feature that uses the same account to `needs-reauth` and throws NeedsReauthError.
 */
export async function refreshDelegated(
  deps: IdentityDeps,
  user: ServiceUserRecord,
  options: { force: boolean },
): Promise<{ accessToken: string; fromCache: boolean }> {
  // Jobs may reuse this process's copy of the cache for a few seconds; the keep-alive always reads the store. A
  // refresh that fails with the process's copy is retried once from the store before the user is flagged: another
  // instance may have just stored a fresh sign-in.
  const memoSeconds = options.force ? 0 : deps.config.settingsCacheSeconds;
  try {
    return await acquireSilently(deps, user, options.force, memoSeconds);
  } catch (e) {
    if (!(memoSeconds > 0 && isReauthError(e))) return handleRefreshError(deps, user, e);
  }
  try {
    return await acquireSilently(deps, user, options.force, 0);
  } catch (e) {
    return handleRefreshError(deps, user, e);
  }
}

/**
 * The token cache no longer holds the service user's account: only a new sign-in brings it back. It carries MSAL's
 * own `errorCode` for this case (ClientAuthErrorCodes.noAccountFound) as a field, so isReauthError (msal.ts)
 * decides on it like on any MSAL error.
 */
class NoCachedAccountError extends Error {
  override name = 'NoCachedAccountError';
  readonly errorCode = 'no_account_found';
  constructor() {
    super('the stored token cache has no account for this service user');
  }
}

async function acquireSilently(deps: IdentityDeps, user: ServiceUserRecord, force: boolean, memoSeconds: number) {
  const plugin = new SecretStoreCachePlugin(deps.secrets, user.cacheSecretName, memoSeconds);
  const app = await createMsalApp(deps, user.tenantId, plugin);
  const scopes = graphScopeUris(user.grantedScopes.filter((s) => !oidcScopes.includes(s)));
  const account = await app.getTokenCache().getAccountByHomeId(user.homeAccountId);
  if (!account) {
    throw new NoCachedAccountError();
  }
  const result = await app.acquireTokenSilent({ account, scopes, forceRefresh: force });
  if (!result.fromCache) {
    const now = deps.clock.now().toISOString();
    await patchServiceUser(deps.tables, user.tenantId, user.feature, (current) =>
      current.objectId === user.objectId ? { ...current, lastRefreshAt: now, lastRefreshError: undefined, updatedAt: now } : undefined,
    );
  }
  return { accessToken: result.accessToken, fromCache: result.fromCache };
}

async function handleRefreshError(deps: IdentityDeps, user: ServiceUserRecord, e: unknown): Promise<never> {
  if (isReauthError(e)) {
    await markNeedsReauth(deps, user, describeAuthError(e));
    throw needsReauth(deps, user.tenantId, user.feature);
  }
  if (e instanceof AuthError) {
    // Anything else (network, 5xx at the token endpoint) is transient: the host retries the job. The message
    // carries the error and AADSTS codes only.
    throw new Error(`token refresh for tenant ${user.tenantId} feature ${user.feature} failed: ${describeAuthError(e)}`);
  }
  throw e;
}

/** Marks every feature served by the same account in the tenant `needs-reauth` and logs the re-auth link once per feature. */
export async function markNeedsReauth(deps: IdentityDeps, user: ServiceUserRecord, reason: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  const siblings = (await listServiceUsers(deps.tables, user.tenantId)).filter((u) => u.objectId === user.objectId);
  for (const sibling of siblings) {
    const changed = await patchServiceUser(deps.tables, sibling.tenantId, sibling.feature, (current) =>
      // A sign-in that landed since `user` was read (signedInAt changed) stored a fresh token: leave it alone.
      current.objectId === user.objectId && current.status !== 'needs-reauth' && (sibling.feature !== user.feature || current.signedInAt === user.signedInAt)
        ? { ...current, status: 'needs-reauth', statusReason: reason, lastRefreshError: reason, updatedAt: now }
        : undefined,
    );
    if (changed?.status === 'needs-reauth' && changed.updatedAt === now) {
      const path = reauthPath(sibling.tenantId, sibling.feature);
      deps.log.warn('serviceUser.needsReauth', {
        tenantId: sibling.tenantId,
        feature: sibling.feature,
        serviceUserObjectId: sibling.objectId,
        reason,
        reauthPath: path,
        message: `service user for tenant ${sibling.tenantId} feature ${sibling.feature} needs re-authentication: open ${deps.config.publicBaseUrl}${path}`,
      });
    }
  }
}

/**
 * Marks the service user `invalid-licence` for `feature` and every other feature the same account serves that needs
 * the same licence, and logs it once per feature (`serviceUser.invalid`, which the alert rule watches as it does
 * `serviceUser.needsReauth`). Jobs that meet it are parked; `revalidateServiceUser` brings them back.
 */
export async function markInvalidLicence(deps: IdentityDeps, user: ServiceUserRecord, reason: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  const licence = featureLicence[user.feature];
  const siblings = (await listServiceUsers(deps.tables, user.tenantId)).filter(
    (u) => u.objectId === user.objectId && (u.feature === user.feature || (licence !== undefined && featureLicence[u.feature] === licence)),
  );
  for (const sibling of siblings) {
    const changed = await patchServiceUser(deps.tables, sibling.tenantId, sibling.feature, (current) =>
      current.objectId === user.objectId && current.status === 'active' ? { ...current, status: 'invalid-licence', statusReason: reason, updatedAt: now } : undefined,
    );
    if (changed?.status === 'invalid-licence' && changed.updatedAt === now) {
      deps.log.warn('serviceUser.invalid', {
        tenantId: sibling.tenantId,
        feature: sibling.feature,
        serviceUserObjectId: sibling.objectId,
        reason,
        message: `service user for tenant ${sibling.tenantId} feature ${sibling.feature} cannot act: ${reason}. Its jobs are parked and resume when the keep-alive or POST /api/manage/service-users/${sibling.tenantId}/${sibling.feature}/refresh finds it valid again`,
      });
    }
  }
}

export function invalidLicence(deps: IdentityDeps, tenantId: string, feature: Feature, reason: string | undefined): InvalidLicenceError {
  const path = reauthPath(tenantId, feature);
  return new InvalidLicenceError(
    `the service user for tenant ${tenantId} feature ${feature} cannot act (${reason ?? 'invalid licence'}); the job is parked and resumes when the ` +
      `keep-alive or an admin refresh (POST ${deps.config.publicBaseUrl}/api/manage/service-users/${tenantId}/${feature}/refresh) finds the licence back, ` +
      `or when a valid account signs in at ${deps.config.publicBaseUrl}${path}`,
    tenantId,
    feature,
    path,
  );
}

function needsReauth(deps: IdentityDeps, tenantId: string, feature: Feature): NeedsReauthError {
  const path = reauthPath(tenantId, feature);
  return new NeedsReauthError(
    `service user for tenant ${tenantId} feature ${feature} needs re-authentication: open ${deps.config.publicBaseUrl}${path}`,
    tenantId,
    feature,
    path,
  );
}

function consentPath(tenantId: string, feature: Feature): string {
  return `/api/consent/start?tenant=${encodeURIComponent(tenantId)}&feature=${encodeURIComponent(feature)}`;
}

/**
 * Client-credentials token for a customer tenant: authority `{AUTHORITY_HOST}/{tenantId}`, scope
 * `https://graph.microsoft.com/.default` ("scope is always in the format <resource>/.default", msal-node
 * docs/request.md). MSAL keeps app tokens in the application's memory cache, partitioned by tenant through the
 * per-tenant authority, so one app instance per tenant is kept.
 */
const appOnlyApps = new Map<string, ReturnType<typeof createMsalApp>>();

export async function getAppOnlyToken(deps: IdentityDeps, tenantId: string, options: { skipCache?: boolean } = {}): Promise<string> {
  const key = `${deps.config.authorityHost}|${deps.config.entra.clientId}|${tenantId}`;
  let app = appOnlyApps.get(key);
  if (!app) {
    app = createMsalApp(deps, tenantId);
    app.catch(() => appOnlyApps.delete(key));
    appOnlyApps.set(key, app);
  }
  const result = await (await app).acquireTokenByClientCredential({ scopes: [graphDefaultScope], skipCache: options.skipCache });
  if (!result?.accessToken) throw new Error(`no app-only token for tenant ${tenantId}`);
  return result.accessToken;
}

/** Forget cached app-only clients (after the client credential changes, and between tests). */
export function resetAppOnlyClients(): void {
  appOnlyApps.clear();
}

/**
 * Parks a job whose service user needs re-authentication: the queue message is kept as it arrived and sent back
 * to `queue` when the service user signs in again (`resumeParkedJobs`). The caller then completes the message
 * normally, so it never lands in a poison queue.
 */
export async function parkJob(
  deps: IdentityDeps,
  job: { tenantId: string; feature: Feature; queue: string; message: unknown; reason: string },
): Promise<void> {
  const id = await insertParkedJob(deps.tables, { ...job, parkedAt: deps.clock.now().toISOString() }, deps.clock.now());
  deps.log.warn('job.parked', {
    tenantId: job.tenantId,
    feature: job.feature,
    queue: job.queue,
    parkedJobId: id,
    reason: job.reason,
    reauthPath: reauthPath(job.tenantId, job.feature),
  });
}

/** Sends every parked job of a (tenant, feature) back to its queue; returns how many were resumed. */
export async function resumeParkedJobs(deps: IdentityDeps, tenantId: string, feature: Feature): Promise<number> {
  const jobs = await listParkedJobs(deps.tables, tenantId, feature);
  let resumed = 0;
  for (const job of jobs) {
    await deps.queues.send(job.queue, job.message);
    if (await deleteParkedJob(deps.tables, tenantId, feature, job.rowKey, job.etag)) resumed++;
  }
  if (jobs.length) deps.log.info('jobs.resumed', { tenantId, feature, resumed });
  return resumed;
}

export interface FeatureHealth {
  consented: boolean;
  mode: 'delegated' | 'app';
  serviceUser?: {
    status: ServiceUserRecord['status'];
    statusReason?: string;
    lastRefreshAt: string;
    lastRefreshError?: string;
    /** Hours since the last successful refresh; the refresh token dies after 90 days without use. */
    hoursSinceRefresh: number;
    degraded: ServiceUserRecord['degraded'];
    reauthPath?: string;
  };
  parkedJobs: number;
}

export interface TenantHealth {
  tenantId: string;
  sites: string[];
  appOnlyConsented: boolean;
  features: Partial<Record<Feature, FeatureHealth>>;
}

/**
 * Per tenant and feature: consent, mode, service-user status, last refresh, degraded capabilities and the re-auth
 * link. Never a token, secret, or the service user's name (the health endpoint is anonymous). With `siteIds`, only
 * the tenants connected to those sites.
 */
export async function summariseIdentityHealth(
  deps: IdentityDeps,
  siteIds?: readonly string[],
): Promise<{ ok: boolean; tenants: TenantHealth[] }> {
  let tenants: TenantRecord[];
  if (siteIds) {
    const ids = new Set<string>();
    for (const siteId of siteIds) for (const t of await listTenantsForSite(deps, siteId)) ids.add(t);
    tenants = (await Promise.all([...ids].map((id) => readTenant(deps.tables, id)))).filter((t): t is NonNullable<typeof t> => !!t);
  } else {
    tenants = await listTenants(deps.tables);
  }
  const now = deps.clock.now().getTime();
  const out: TenantHealth[] = [];
  let ok = true;
  for (const tenant of tenants) {
    const users = new Map((await listServiceUsers(deps.tables, tenant.tenantId)).map((u) => [u.feature, u]));
    const featureHealth: Partial<Record<Feature, FeatureHealth>> = {};
    for (const feature of features) {
      const consented = !!tenant.consentedFeatures[feature];
      const user = users.get(feature);
      if (!consented && !user) continue;
      const parked = (await listParkedJobs(deps.tables, tenant.tenantId, feature)).length;
      const health: FeatureHealth = { consented, mode: tenant.modes[feature] ?? 'delegated', parkedJobs: parked };
      if (user) {
        health.serviceUser = {
          status: user.status,
          statusReason: user.statusReason,
          lastRefreshAt: user.lastRefreshAt,
          lastRefreshError: user.lastRefreshError,
          hoursSinceRefresh: Math.round((now - Date.parse(user.lastRefreshAt)) / 360_000) / 10,
          degraded: user.degraded,
          reauthPath: user.status === 'active' ? undefined : reauthPath(tenant.tenantId, feature),
        };
        if (user.status !== 'active') ok = false;
      }
      featureHealth[feature] = health;
    }
    out.push({
      tenantId: tenant.tenantId,
      sites: await listSitesForTenant(deps, tenant.tenantId),
      appOnlyConsented: !!tenant.appConsentedAt,
      features: featureHealth,
    });
  }
  return { ok, tenants: out };
}
