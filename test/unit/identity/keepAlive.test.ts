// shared/identity/keepAlive.ts: who the keep-alive refreshes. A user flagged needs-reauth is left to the admin; one
// refreshed recently is skipped; one due (or forced) is refreshed, and every feature sharing that account's token
// cache gets the same result from that one refresh; an active user's parked jobs resume. Tables of the test's own,
// since the keep-alive lists every service user (../../support/unitRuntime.ts). The refresh runs MSAL for real
// against an empty token cache, which is what a sign-in lost from the cache looks like: needs re-authentication.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Feature } from '../../../shared/features.js';
import { runKeepAlive } from '../../../shared/identity/keepAlive.js';
import { parkJob } from '../../../shared/identity/tokens.js';
import { listParkedJobs } from '../../../shared/storage/parkedJobs.js';
import { readServiceUser, writeServiceUser, type ServiceUserRecord } from '../../../shared/storage/serviceUsers.js';
import { unitRuntime, type UnitRuntime } from '../../support/unitRuntime.js';

const hoursAgo = (rt: UnitRuntime, hours: number) => new Date(rt.clock.now().getTime() - hours * 3600_000).toISOString();

async function serviceUser(rt: UnitRuntime, seed: Partial<ServiceUserRecord> & { tenantId: string; feature: Feature; objectId: string }): Promise<void> {
  const at = rt.clock.now().toISOString();
  await writeServiceUser(rt.tables, {
    userPrincipalName: 'svc@contoso.example',
    homeAccountId: `${seed.objectId}.${seed.tenantId}`,
    cacheSecretName: `msal-cache-${seed.objectId}`,
    status: 'active',
    grantedScopes: ['Chat.Create'],
    degraded: [],
    signedInAt: at,
    lastRefreshAt: at,
    updatedAt: at,
    ...seed,
  });
}

describe('token keep-alive', () => {
  it('skips users refreshed within TOKEN_KEEPALIVE_MAX_AGE_HOURS and those waiting for an admin, refreshes the due ones', async () => {
    const rt = unitRuntime({ TOKEN_KEEPALIVE_MAX_AGE_HOURS: '24' });
    const tenantId = randomUUID();
    await serviceUser(rt, { tenantId, feature: 'chats', objectId: randomUUID(), lastRefreshAt: hoursAgo(rt, 2) });
    await serviceUser(rt, { tenantId, feature: 'mail', objectId: randomUUID(), status: 'needs-reauth' });
    const due = randomUUID();
    await serviceUser(rt, { tenantId, feature: 'meetings', objectId: due, lastRefreshAt: hoursAgo(rt, 25) });

    const summary = await runKeepAlive(rt);

    assert.deepEqual(summary, { refreshed: 0, skipped: 1, needsReauth: 2, invalidLicence: 0, failed: 0, resumed: 0 });
    assert.equal((await readServiceUser(rt.tables, tenantId, 'chats'))?.status, 'active', 'not due: not touched');
    assert.equal((await readServiceUser(rt.tables, tenantId, 'meetings'))?.status, 'needs-reauth', 'due: refreshed, and its lost sign-in found');

    const forced = await runKeepAlive(rt, { force: true });
    assert.equal(forced.skipped, 0, 'a forced run refreshes everyone not already waiting for an admin');
    assert.equal((await readServiceUser(rt.tables, tenantId, 'chats'))?.status, 'needs-reauth');
  });

  it('one refresh per account: a feature sharing the due account\'s token cache gets the same answer even when it is not due', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    const objectId = randomUUID();
    await serviceUser(rt, { tenantId, feature: 'bookings', objectId, lastRefreshAt: hoursAgo(rt, 30) });
    await serviceUser(rt, { tenantId, feature: 'chats', objectId, lastRefreshAt: hoursAgo(rt, 1) });

    const summary = await runKeepAlive(rt);

    assert.equal(summary.skipped, 0);
    assert.equal(summary.needsReauth, 2);
    assert.equal(rt.log.lines.filter((l) => l.includes('serviceUser.needsReauth')).length, 2, 'each feature flagged and logged once');
  });

  it("resumes an active user's parked jobs (they raced a re-authentication) even when no refresh is due", async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    await serviceUser(rt, { tenantId, feature: 'chats', objectId: randomUUID() });
    await parkJob(rt, { tenantId, feature: 'chats', queue: 'chat-jobs', message: { jobId: 'j-9' }, reason: 'parked during a re-auth' });

    const summary = await runKeepAlive(rt);

    assert.deepEqual(summary, { refreshed: 0, skipped: 1, needsReauth: 0, invalidLicence: 0, failed: 0, resumed: 1 });
    assert.deepEqual(rt.queues.sent, [{ queue: 'chat-jobs', message: { jobId: 'j-9' }, delaySeconds: undefined }]);
    assert.equal((await listParkedJobs(rt.tables, tenantId, 'chats')).length, 0);
  });
});
