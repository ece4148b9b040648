// Keeps every service user's refresh token alive (DESIGN §2 timers, §6). A refresh token dies after 90 days
// without use and each use issues a new 90-day one (graph-contract §11 "Refresh"), so refreshing well inside
// that window — every TOKEN_KEEPALIVE_MAX_AGE_HOURS — keeps an idle feature working. The refresh also re-checks
// the licence, so a service user whose Teams or Bookings licence was removed is flagged before a job fails on it.
import { NeedsReauthError } from '../errors.js';
import { listAllServiceUsers, patchServiceUser, type ServiceUserRecord } from '../storage/serviceUsers.js';
import { listParkedJobs } from '../storage/parkedJobs.js';
import { refreshDelegated, resumeParkedJobs, type IdentityDeps } from './tokens.js';
import { validateServiceUser } from './validateServiceUser.js';

export interface KeepAliveSummary {
  refreshed: number;
  skipped: number;
  needsReauth: number;
  invalidLicence: number;
  failed: number;
  resumed: number;
}

export async function runKeepAlive(deps: IdentityDeps, options: { force?: boolean } = {}): Promise<KeepAliveSummary> {
  const summary: KeepAliveSummary = { refreshed: 0, skipped: 0, needsReauth: 0, invalidLicence: 0, failed: 0, resumed: 0 };
  const now = deps.clock.now();
  const maxAgeMs = deps.config.tokenKeepAliveMaxAgeHours * 3600_000;
  const users = await listAllServiceUsers(deps.tables);
  // One refresh per account and tenant: features served by the same account share one token cache.
  const refreshedCaches = new Map<string, string | Error>();

  for (const user of users) {
    const log = deps.log.with({ tenantId: user.tenantId, feature: user.feature });
    if (user.status === 'needs-reauth') {
      summary.needsReauth++;
      continue;
    }
    if (user.status === 'active' && (await listParkedJobs(deps.tables, user.tenantId, user.feature)).length) {
      // Jobs parked by a job that raced a re-authentication: resume them now.
      summary.resumed += await resumeParkedJobs(deps, user.tenantId, user.feature);
    }
    // An invalid-licence user is re-checked on every run: its parked jobs wait for exactly that.
    const due = options.force || user.status === 'invalid-licence' || now.getTime() - Date.parse(user.lastRefreshAt) >= maxAgeMs;
    if (!due && !refreshedCaches.has(user.cacheSecretName)) {
      summary.skipped++;
      continue;
    }
    let token = refreshedCaches.get(user.cacheSecretName);
    if (token === undefined) {
      try {
        token = (await refreshDelegated(deps, user, { force: true })).accessToken;
      } catch (e) {
        token = e instanceof Error ? e : new Error(String(e));
      }
      refreshedCaches.set(user.cacheSecretName, token);
    }
    if (token instanceof NeedsReauthError) {
      summary.needsReauth++;
      continue;
    }
    if (token instanceof Error) {
      summary.failed++;
      log.warn('serviceUser.keepAliveFailed', { error: token.message });
      await patchServiceUser(deps.tables, user.tenantId, user.feature, (c) => ({ ...c, lastRefreshError: token.message.slice(0, 300), updatedAt: now.toISOString() }));
      continue;
    }
    summary.refreshed++;
    const result = await revalidateServiceUser(deps, user, token);
    if (result.status === 'invalid-licence') summary.invalidLicence++;
    summary.resumed += result.resumed;
  }
  deps.log.info('serviceUser.keepAlive', { ...summary });
  return summary;
}

/**
 * Re-checks a service user (licence, account, mailbox) with a fresh access token and records the result: valid →
 * `active` and its parked jobs resume (a restored licence brings them back, issue 12 item 12); refused →
 * `invalid-licence` with the reason; not verifiable (Graph down) → status unchanged, the error noted.
 */
export async function revalidateServiceUser(
  deps: IdentityDeps,
  user: ServiceUserRecord,
  accessToken: string,
): Promise<{ status: ServiceUserRecord['status']; resumed: number }> {
  const now = deps.clock.now();
  const log = deps.log.with({ tenantId: user.tenantId, feature: user.feature });
  const validation = await validateServiceUser(deps, accessToken, user.feature).catch((e: unknown) => ({
    ok: false as const,
    code: 'not_verifiable' as const,
    reason: e instanceof Error ? e.message : String(e),
  }));
  const at = now.toISOString();
  const next: Partial<ServiceUserRecord> = validation.ok
    ? { status: 'active', statusReason: undefined, lastRefreshAt: at, lastRefreshError: undefined }
    : validation.code === 'not_verifiable'
      ? { lastRefreshAt: at, lastRefreshError: validation.reason }
      : { status: 'invalid-licence', statusReason: validation.reason, lastRefreshAt: at };
  const saved = await patchServiceUser(deps.tables, user.tenantId, user.feature, (c) => (c.objectId === user.objectId ? { ...c, ...next, updatedAt: at } : undefined));
  const status = saved?.status ?? user.status;
  if (!validation.ok && validation.code !== 'not_verifiable' && user.status !== 'invalid-licence') {
    log.warn('serviceUser.invalid', { reason: validation.reason, message: `service user for tenant ${user.tenantId} feature ${user.feature} cannot act: ${validation.reason}` });
  }
  let resumed = 0;
  if (status === 'active' && saved?.objectId === user.objectId) {
    if (user.status === 'invalid-licence') log.info('serviceUser.valid-again', { previousReason: user.statusReason });
    resumed = await resumeParkedJobs(deps, user.tenantId, user.feature);
  }
  return { status, resumed };
}
