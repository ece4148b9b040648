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
    if (!options.force && now.getTime() - Date.parse(user.lastRefreshAt) < maxAgeMs && !refreshedCaches.has(user.cacheSecretName)) {
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
    const validation = await validateServiceUser(deps, token, user.feature).catch((e: unknown) => ({
      ok: false as const,
      code: 'not-verifiable' as const,
      reason: e instanceof Error ? e.message : String(e),
    }));
    const at = now.toISOString();
    const next: Partial<ServiceUserRecord> =
      validation.ok
        ? { status: 'active', statusReason: undefined, lastRefreshAt: at, lastRefreshError: undefined }
        : validation.code === 'not-verifiable'
          ? { lastRefreshAt: at, lastRefreshError: validation.reason }
          : { status: 'invalid-licence', statusReason: validation.reason, lastRefreshAt: at };
    if (!validation.ok && validation.code !== 'not-verifiable') {
      summary.invalidLicence++;
      log.warn('serviceUser.invalid', { reason: validation.reason });
    }
    await patchServiceUser(deps.tables, user.tenantId, user.feature, (c) =>
      c.objectId === user.objectId ? { ...c, ...next, updatedAt: at } : undefined,
    );
  }
  deps.log.info('serviceUser.keepAlive', { ...summary });
  return summary;
}
