// The at-most-once guard on a real table (Azurite): claims, results, definite vs unknown failures, leases.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { TableClient } from '@azure/data-tables';
import { PermanentError, ThrottledError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import { once, outcomeIsKnown } from '../../../shared/jobs/once.js';
import { tableClient, uniqueName } from '../../support/storage.js';
import { waitFor } from '../../support/wait.js';

describe('once', () => {
  let table: TableClient;
  let now = new Date('2026-11-23T09:00:00Z');
  const opts = (owner = 'job-1') => ({ clock: { now: () => now }, owner, what: 'the test effect', leaseSeconds: 60 });
  before(async () => {
    table = tableClient(uniqueName('once'));
    await table.createTable();
  });

  it('runs the effect once and returns the recorded result afterwards', async () => {
    let runs = 0;
    const first = await once(table, 'p', 'a', opts(), async () => ({ id: ++runs }));
    assert.deepEqual(first, { status: 'ran', value: { id: 1 } });
    const second = await once(table, 'p', 'a', opts('job-2'), async () => ({ id: ++runs }));
    assert.equal(second.status, 'done-before');
    assert.deepEqual(second.status === 'done-before' && second.value, { id: 1 });
    assert.equal(runs, 1);
  });

  it('releases the claim when Graph definitely did not do it, so a retry runs', async () => {
    await assert.rejects(once(table, 'p', 'b', opts(), async () => { throw new GraphRequestError(403, 'ErrorSendAsDenied', 'no', 'POST', '/me/sendMail'); }));
    const retry = await once(table, 'p', 'b', opts(), async () => 'sent');
    assert.deepEqual(retry, { status: 'ran', value: 'sent' });
  });

  it('never repeats an effect whose outcome is unknown', async () => {
    await assert.rejects(once(table, 'p', 'c', opts(), async () => { throw new TypeError('fetch failed: socket hang up'); }));
    let ran = false;
    const retry = await once(table, 'p', 'c', opts(), async () => { ran = true; });
    assert.equal(retry.status, 'unknown');
    assert.match(retry.status === 'unknown' ? retry.note : '', /socket hang up/);
    assert.equal(ran, false);
  });

  it('makes a second worker wait while the claim is fresh, and treats an expired claim as unknown', async () => {
    let release: (() => void) | undefined;
    const slow = once(table, 'p', 'd', opts(), () => new Promise<string>((resolve) => (release = () => resolve('x'))));
    // The effect runs only once its claim is stored: from then on a second worker must find the claim.
    await waitFor('job-1 to claim and start its effect', () => release !== undefined);
    await assert.rejects(once(table, 'p', 'd', opts('job-2'), async () => 'y'), (e: unknown) => e instanceof ThrottledError && e.retryAfterSeconds > 0 && /job-1/.test(e.message));
    release!();
    assert.equal((await slow).status, 'ran');

    // A claim whose worker died: after the lease it is unknown, not re-run.
    await table.createEntity({ partitionKey: 'p', rowKey: 'e', state: 'claimed', claimedAt: now.toISOString(), owner: 'job-dead' });
    now = new Date(now.getTime() + 61_000);
    const late = await once(table, 'p', 'e', opts('job-3'), async () => 'z');
    assert.equal(late.status, 'unknown');
    assert.match(late.status === 'unknown' ? late.note : '', /job-dead/);
  });

  it('classifies outcomes: 4xx, 429 and 503 are known; 500, 504 and network errors are not', () => {
    assert.equal(outcomeIsKnown(new GraphRequestError(400, 'BadRequest', 'm', 'POST', '/x')), true);
    assert.equal(outcomeIsKnown(new GraphRequestError(500, 'generalException', 'm', 'POST', '/x')), false);
    assert.equal(outcomeIsKnown(new ThrottledError('t', 5, { status: 429 })), true);
    assert.equal(outcomeIsKnown(new ThrottledError('t', 5, { status: 503 })), true);
    assert.equal(outcomeIsKnown(new ThrottledError('t', 5, { status: 504 })), false);
    assert.equal(outcomeIsKnown(new PermanentError('jira said no', 'jira_rejected')), true);
    assert.equal(outcomeIsKnown(new Error('ECONNRESET')), false);
  });
});
