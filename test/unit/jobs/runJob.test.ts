// shared/jobs/runJob.ts: what happens to a queue message after its workflow ran or threw. Hand-written deps
// (test/support/memoryWorkflow.ts: recorded queue sends, a memory logger, a test clock) over real Azurite tables,
// where the audit entries and parked jobs are read back as the admin API reads them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidLicenceError, NeedsReauthError, PermanentError, ThrottledError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { listAudit } from '../../../shared/jobs/audit.js';
import { maxDeferrals, maxDequeueCount, runJob, type JobHandler, type JobResult } from '../../../shared/jobs/runJob.js';
import type { JobMessage } from '../../../shared/jobs/messages.js';
import { listParkedJobs } from '../../../shared/storage/parkedJobs.js';
import { memoryWorkflow } from '../../support/memoryWorkflow.js';

const queue = 'chat-jobs';

function setup() {
  const w = memoryWorkflow();
  const job = (overrides: Partial<JobMessage> = {}) => ({ ...w.job('chat', 'INC-7', { templateKey: 'x' }), ...overrides });
  const audit = () => listAudit(w.deps, w.siteId, 'INC-7');
  return { w, job, audit };
}

const returns = (result: JobResult): JobHandler => async () => result;
const throws = (error: unknown): JobHandler => async () => {
  throw error;
};

describe('runJob', () => {
  it('a finished job is audited as done with its detail and the Graph request ids, and nothing is re-sent', async () => {
    const { w, job, audit } = setup();
    const message = job();
    await runJob(message, { queue, dequeueCount: 1 }, async (_job, context) => {
      context.graphRequestIds.push('req-1', 'req-2');
      return { outcome: 'done', detail: 'chat 19:abc created' };
    }, w.deps);
    const entries = await audit();
    assert.equal(entries.length, 1);
    assert.deepEqual(
      { outcome: entries[0]!.outcome, detail: entries[0]!.detail, jobId: entries[0]!.jobId, action: entries[0]!.action, ids: entries[0]!.graphRequestIds, dequeueCount: entries[0]!.dequeueCount },
      { outcome: 'done', detail: 'chat 19:abc created', jobId: message.jobId, action: 'chat', ids: ['req-1', 'req-2'], dequeueCount: 1 },
    );
    assert.deepEqual(w.queues.sent, []);
  });

  it('hands the workflow the parsed job (defaults filled) and the delivery count', async () => {
    const { w, job } = setup();
    const { deferrals: _d, params: _p, ...bare } = job();
    let seen: { params: unknown; deferrals: number; dequeueCount: number } | undefined;
    await runJob(bare, { queue, dequeueCount: 3 }, async (parsed, context) => {
      seen = { params: parsed.params, deferrals: parsed.deferrals, dequeueCount: context.dequeueCount };
      return { outcome: 'ignored' };
    }, w.deps);
    assert.deepEqual(seen, { params: {}, deferrals: 0, dequeueCount: 3 });
  });

  it('an ignored job is audited as ignored, with the reason', async () => {
    const { w, job, audit } = setup();
    await runJob(job(), { queue, dequeueCount: 1 }, returns({ outcome: 'ignored', detail: 'issue type Task has no chat rule' }), w.deps);
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'ignored');
    assert.equal(entry?.detail, 'issue type Task has no chat rule');
  });

  it('a throttled job goes back to its own queue with the Retry-After delay and one more deferral, and completes', async () => {
    const { w, job, audit } = setup();
    const message = job({ deferrals: 2 });
    await runJob(message, { queue, dequeueCount: 1 }, throws(new ThrottledError('Graph answered 429', 37)), w.deps);
    assert.equal(w.queues.sent.length, 1);
    const sent = w.queues.sent[0]!;
    assert.equal(sent.queue, queue);
    assert.equal(sent.delaySeconds, 37);
    assert.deepEqual(sent.message, { ...message, deferrals: 3 });
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'deferred');
    assert.match(entry?.detail ?? '', /Graph answered 429; retry in 37s/);
  });

  it(`a job that already waited ${maxDeferrals} times is failed with a visible reason instead of waiting again`, async () => {
    const { w, job, audit } = setup();
    await runJob(job({ deferrals: maxDeferrals }), { queue, dequeueCount: 1 }, throws(new ThrottledError('pacing: 4 member adds per minute', 15)), w.deps);
    assert.deepEqual(w.queues.sent, []);
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'failed');
    assert.match(entry?.detail ?? '', new RegExp(`gave up after ${maxDeferrals} waits: pacing`));
  });

  it('a dead refresh token parks the job for its tenant and feature and audits where to re-authenticate; nothing is thrown', async () => {
    const { w, job, audit } = setup();
    const tenantId = randomUUID();
    const message = job();
    const reauthPath = `/api/auth/start?tenant=${tenantId}&feature=chats`;
    await runJob(message, { queue, dequeueCount: 1 }, throws(new NeedsReauthError('refresh token expired (invalid_grant)', tenantId, 'chats', reauthPath)), w.deps);
    const parked = await listParkedJobs(w.deps.tables, tenantId, 'chats');
    assert.equal(parked.length, 1);
    assert.equal(parked[0]!.queue, queue);
    assert.deepEqual(parked[0]!.message, message);
    assert.match(parked[0]!.reason, /invalid_grant/);
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'parked');
    assert.equal(entry?.detail, `refresh token expired (invalid_grant); re-authenticate at https://bridge.example.test${reauthPath}`);
    assert.deepEqual(w.queues.sent, [], 'parked, not re-queued');
  });

  it('a lost licence parks the job too, audited with the service user status', async () => {
    const { w, job, audit } = setup();
    const tenantId = randomUUID();
    await runJob(job(), { queue, dequeueCount: 1 }, throws(new InvalidLicenceError('the service user has no Teams licence', tenantId, 'meetings', '/reauth')), w.deps);
    assert.equal((await listParkedJobs(w.deps.tables, tenantId, 'meetings')).length, 1);
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'parked');
    assert.equal(entry?.detail, 'invalid-licence: the service user has no Teams licence');
  });

  it('a permanent failure is audited as failed with its code and completes (no retry, no re-send)', async () => {
    const { w, job, audit } = setup();
    await runJob(job(), { queue, dequeueCount: 1 }, throws(new PermanentError('issue INC-7 does not exist', 'issue_not_found')), w.deps);
    assert.deepEqual(w.queues.sent, []);
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'failed');
    assert.equal(entry?.detail, 'issue_not_found: issue INC-7 does not exist');
  });

  it('any other error is rethrown for the host to retry, audited with the attempt number', async () => {
    const { w, job, audit } = setup();
    const boom = new TypeError('fetch failed: socket hang up');
    await assert.rejects(runJob(job(), { queue, dequeueCount: 2 }, throws(boom), w.deps), (e) => e === boom);
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'error');
    assert.equal(entry?.detail, `attempt 2 of ${maxDequeueCount}: fetch failed: socket hang up`);
    assert.deepEqual(w.queues.sent, []);
  });

  it('the last attempt says the message moves to the poison queue, and a thrown non-Error still rethrows an Error', async () => {
    const { w, job, audit } = setup();
    await assert.rejects(runJob(job(), { queue, dequeueCount: maxDequeueCount }, throws('a string'), w.deps), (e) => e instanceof Error && e.message === 'a string');
    const [entry] = await audit();
    assert.match(entry?.detail ?? '', /\(moved to the poison queue\)$/);
    assert.ok(w.log.lines.some((l) => l.includes('job.poisoned')));
  });

  it('a Graph refusal that retrying cannot help (404) fails the job with Graph\'s code and request id, without the query', async () => {
    const { w, job, audit } = setup();
    const refusal = new GraphRequestError(404, 'NotFound', 'Chat not found', 'GET', "/chats/19:x@thread.v2/members?$filter=id eq 'secret'", 'req-9');
    await runJob(job(), { queue, dequeueCount: 1 }, throws(refusal), w.deps);
    const [entry] = await audit();
    assert.equal(entry?.outcome, 'failed');
    assert.equal(entry?.detail, 'graph_404: Microsoft Graph refused GET /chats/19:x@thread.v2/members with 404 NotFound: Chat not found');
    assert.ok(w.log.lines.some((l) => l.includes('job.failed') && l.includes('req-9')), 'the request id a support case needs is logged');
  });

  it('a Graph server error is transient: rethrown for the host to retry', async () => {
    const { w, job, audit } = setup();
    const outage = new GraphRequestError(503, 'ServiceUnavailable', 'try later', 'POST', '/chats');
    await assert.rejects(runJob(job(), { queue, dequeueCount: 1 }, throws(outage), w.deps), (e) => e === outage);
    assert.equal((await audit())[0]?.outcome, 'error');
  });

  it('a malformed message never reaches the workflow: it is sent beside the poison messages with the reason logged', async () => {
    const { w, job } = setup();
    const bad = { ...job(), v: 2 };
    let ran = false;
    await runJob(bad, { queue, dequeueCount: 1, messageId: 'm-1' }, async () => {
      ran = true;
      return { outcome: 'done' };
    }, w.deps);
    assert.equal(ran, false);
    assert.deepEqual(w.queues.sent, [{ queue: `${queue}-poison`, message: bad, delaySeconds: undefined }]);
    assert.ok(w.log.lines.some((l) => l.includes('job.poisoned') && l.includes('invalid message: v:')), w.log.lines.join('\n'));
  });

  it('a failing audit write does not turn a finished job into a retry', async () => {
    const { w, job } = setup();
    const deps = { ...w.deps, tables: { table: async () => { throw new Error('table service unavailable'); } } } as unknown as typeof w.deps;
    await runJob(job(), { queue, dequeueCount: 1 }, returns({ outcome: 'done' }), deps);
    assert.ok(w.log.lines.some((l) => l.includes('audit.write-failed')));
  });
});
