// shared/jobs/audit.ts on real Azurite tables: one entry per run, an issue's history in one partition, newest
// first, and nothing of one issue in another's history.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listAudit, writeAudit } from '../../../shared/jobs/audit.js';
import { memoryWorkflow } from '../../support/memoryWorkflow.js';

describe('audit', () => {
  it('lists an issue\'s entries newest first, each stamped with the clock, without table bookkeeping', async () => {
    const w = memoryWorkflow();
    let now = new Date('2026-12-04T10:00:00.000Z');
    const deps = { ...w.deps, clock: { now: () => now } };
    const base = { siteId: w.siteId, issueKey: 'INC-1', action: 'chat' };
    await writeAudit(deps, { ...base, jobId: 'j-1', outcome: 'deferred', detail: 'retry in 5s' });
    now = new Date('2026-12-04T10:00:05.000Z');
    await writeAudit(deps, { ...base, jobId: 'j-1', outcome: 'done', graphRequestIds: ['r-1'], dequeueCount: 1 });
    await writeAudit(deps, { ...base, issueKey: 'INC-2', jobId: 'j-2', outcome: 'failed' });
    const entries = await listAudit(w.deps, w.siteId, 'INC-1');
    assert.deepEqual(entries.map((e) => e.outcome), ['done', 'deferred']);
    assert.deepEqual(entries[0]!.graphRequestIds, ['r-1']);
    assert.equal(entries[1]!.detail, 'retry in 5s');
    assert.deepEqual(entries.map((e) => e.at), ['2026-12-04T10:00:05.000Z', '2026-12-04T10:00:00.000Z']);
    for (const e of entries) assert.deepEqual(Object.keys(e).filter((k) => ['partitionKey', 'rowKey', 'etag'].includes(k)), []);
  });

  it('keeps two outcomes of the same job written in the same millisecond as two entries', async () => {
    const w = memoryWorkflow();
    const frozen = w.clock.now();
    const deps = { ...w.deps, clock: { now: () => frozen } };
    const base = { siteId: w.siteId, issueKey: 'INC-3', action: 'meeting', jobId: 'j-3' };
    await writeAudit(deps, { ...base, outcome: 'error' });
    await writeAudit(deps, { ...base, outcome: 'parked' });
    assert.deepEqual((await listAudit(w.deps, w.siteId, 'INC-3')).map((e) => e.outcome).sort(), ['error', 'parked']);
  });

  it('an issue with no runs has an empty history', async () => {
    const w = memoryWorkflow();
    assert.deepEqual(await listAudit(w.deps, w.siteId, 'NONE-1'), []);
  });
});
