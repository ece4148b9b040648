// shared/identity/tokens.ts: which token a job gets, or which precise error when none can be had (DESIGN §6), and
// the park-and-resume side: a dead sign-in flips every feature of that account to needs-reauth (once, logged with
// the console link), parked jobs go back to their queues exactly as they arrived. Real Azurite tables of the test's
// own (../../support/unitRuntime.ts); MSAL runs for real against a token cache in the memory secret store.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidLicenceError, NeedsReauthError, PermanentError } from '../../../shared/errors.js';
import type { Feature } from '../../../shared/features.js';
import { getGraphToken, markNeedsReauth, parkJob, refreshDelegated, resumeParkedJobs } from '../../../shared/identity/tokens.js';
import { listParkedJobs } from '../../../shared/storage/parkedJobs.js';
import { readServiceUser, writeServiceUser, type ServiceUserRecord } from '../../../shared/storage/serviceUsers.js';
import { updateTenant, type TenantRecord } from '../../../shared/storage/tenantConnections.js';
import { unitRuntime, type UnitRuntime } from '../../support/unitRuntime.js';

async function connectTenant(rt: UnitRuntime, tenantId: string, record: Partial<TenantRecord>): Promise<void> {
  await updateTenant(rt.tables, tenantId, (t) => ({ ...t, ...record }), rt.clock.now());
}

async function serviceUser(rt: UnitRuntime, seed: Partial<ServiceUserRecord> & { tenantId: string; feature: Feature }): Promise<ServiceUserRecord> {
  const objectId = seed.objectId ?? randomUUID();
  const at = rt.clock.now().toISOString();
  const record: ServiceUserRecord = {
    objectId,
    userPrincipalName: 'svc@contoso.example',
    homeAccountId: `${objectId}.${seed.tenantId}`,
    cacheSecretName: `msal-cache-${objectId}`,
    status: 'active',
    grantedScopes: ['Chat.Create', 'offline_access'],
    degraded: [],
    signedInAt: at,
    lastRefreshAt: at,
    updatedAt: at,
    ...seed,
  };
  await writeServiceUser(rt.tables, record);
  return record;
}

/** Logged lines of one event. */
const events = (rt: UnitRuntime, event: string) => rt.log.lines.filter((l) => l.includes(event));

describe('Graph tokens for jobs', () => {
  it('a tenant that never consented to the feature gets not_consented with the consent link', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    await connectTenant(rt, tenantId, { consentedFeatures: { chats: '2026-12-01T00:00:00Z' } });

    await assert.rejects(getGraphToken(rt, { tenantId, feature: 'mail' }), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'not_consented');
      assert.ok(e.message.includes(`/api/consent/start?tenant=${tenantId}&feature=mail`), e.message);
      return true;
    });
    await assert.rejects(getGraphToken(rt, { tenantId: randomUUID(), feature: 'chats' }), (e: unknown) => e instanceof PermanentError && e.code === 'not_consented');
  });

  it('app-only is used only when the admin chose it, the call allows it and the application permissions were consented', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    await connectTenant(rt, tenantId, { consentedFeatures: { meetings: '2026-12-01T00:00:00Z' }, modes: { meetings: 'app' } });

    await assert.rejects(getGraphToken(rt, { tenantId, feature: 'meetings', allowAppOnly: true }), (e: unknown) => {
      assert.ok(e instanceof PermanentError && e.code === 'not_consented');
      assert.match(e.message, /chose app-only for meetings but no admin consented/);
      assert.ok(e.message.includes('&mode=app'), e.message);
      return true;
    });
    // A call Graph allows only delegated (posting chat messages) goes to the service user, app mode or not.
    await assert.rejects(getGraphToken(rt, { tenantId, feature: 'meetings' }), (e: unknown) => e instanceof PermanentError && e.code === 'service_user_missing');
  });

  it('a consented feature without a service user says where to sign one in (the console, no key in the link)', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    await connectTenant(rt, tenantId, { consentedFeatures: { chats: '2026-12-01T00:00:00Z' } });

    await assert.rejects(getGraphToken(rt, { tenantId, feature: 'chats' }), (e: unknown) => {
      assert.ok(e instanceof PermanentError && e.code === 'service_user_missing');
      assert.ok(e.message.includes(`/api/console#/microsoft-365?tenant=${tenantId}&feature=chats`), e.message);
      assert.doesNotMatch(e.message, /code=/);
      return true;
    });
  });

  it('a service user flagged needs-reauth or invalid-licence parks the job (typed errors) without asking Entra', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    await connectTenant(rt, tenantId, { consentedFeatures: { chats: 'x', bookings: 'x' } });
    await serviceUser(rt, { tenantId, feature: 'chats', status: 'needs-reauth', statusReason: 'invalid_grant AADSTS700082' });
    await serviceUser(rt, { tenantId, feature: 'bookings', status: 'invalid-licence', statusReason: 'no Bookings licence' });

    await assert.rejects(getGraphToken(rt, { tenantId, feature: 'chats' }), (e: unknown) => {
      assert.ok(e instanceof NeedsReauthError);
      assert.equal(e.reauthPath, `/api/console#/microsoft-365?tenant=${tenantId}&feature=chats`);
      return true;
    });
    await assert.rejects(getGraphToken(rt, { tenantId, feature: 'bookings' }), (e: unknown) => e instanceof InvalidLicenceError && /no Bookings licence/.test(e.message));
  });

  it('a token cache that lost the account flips every feature of that account to needs-reauth, logs each once, and leaves other accounts alone', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    const objectId = randomUUID();
    const chats = await serviceUser(rt, { tenantId, feature: 'chats', objectId });
    await serviceUser(rt, { tenantId, feature: 'meetings', objectId });
    await serviceUser(rt, { tenantId, feature: 'mail' }); // another account

    await assert.rejects(refreshDelegated(rt, chats, { force: true }), NeedsReauthError);
    await assert.rejects(refreshDelegated(rt, chats, { force: false }), NeedsReauthError);

    assert.equal((await readServiceUser(rt.tables, tenantId, 'chats'))?.status, 'needs-reauth');
    assert.equal((await readServiceUser(rt.tables, tenantId, 'meetings'))?.status, 'needs-reauth', 'same account, same dead sign-in');
    assert.equal((await readServiceUser(rt.tables, tenantId, 'mail'))?.status, 'active');
    const warned = events(rt, 'serviceUser.needsReauth');
    assert.equal(warned.length, 2, warned.join('\n'));
    assert.ok(warned.some((l) => l.includes('feature meetings needs re-authentication: open https://bridge.example.test/api/console#/microsoft-365?tenant=')));
  });

  it('a sign-in that landed after the failing refresh started is not flagged', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    const stale = await serviceUser(rt, { tenantId, feature: 'chats', signedInAt: '2026-11-01T00:00:00.000Z' });
    await writeServiceUser(rt.tables, { ...stale, signedInAt: '2026-12-04T10:00:00.000Z' });

    await markNeedsReauth(rt, stale, 'invalid_grant');

    assert.equal((await readServiceUser(rt.tables, tenantId, 'chats'))?.status, 'active');
    assert.equal(events(rt, 'serviceUser.needsReauth').length, 0);
  });

  it('parked jobs go back to their own queues as they arrived, only for the feature resumed, once', async () => {
    const rt = unitRuntime();
    const tenantId = randomUUID();
    const first = { v: 1, kind: 'job', jobId: 'j-1', action: 'incident-chat' };
    const second = { v: 1, kind: 'job', jobId: 'j-2', action: 'chat-update' };
    await parkJob(rt, { tenantId, feature: 'chats', queue: 'chat-jobs', message: first, reason: 'needs re-auth' });
    rt.clock.advance(1);
    await parkJob(rt, { tenantId, feature: 'chats', queue: 'member-jobs', message: second, reason: 'needs re-auth' });
    await parkJob(rt, { tenantId, feature: 'meetings', queue: 'meeting-jobs', message: { jobId: 'j-3' }, reason: 'needs re-auth' });
    assert.equal(events(rt, 'job.parked').length, 3);

    assert.equal(await resumeParkedJobs(rt, tenantId, 'chats'), 2);
    assert.deepEqual(rt.queues.sent.map((s) => [s.queue, s.message]), [['chat-jobs', first], ['member-jobs', second]], 'in parking order, unchanged');
    assert.equal((await listParkedJobs(rt.tables, tenantId, 'chats')).length, 0);
    assert.equal((await listParkedJobs(rt.tables, tenantId, 'meetings')).length, 1, 'another feature stays parked');

    assert.equal(await resumeParkedJobs(rt, tenantId, 'chats'), 0, 'nothing is resumed twice');
    assert.equal(rt.queues.sent.length, 2);
  });
});
