// Job-time deduplication of Jira deliveries (shared/workflows/fanOutEvent.ts) on real Azurite tables: the
// `deliveries` row makes one delivery fan out once, even when Jira retried it and another instance's in-memory
// check let the repeat through, while the same message coming back after a crash still finishes its fan-out.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../shared/config.js';
import { PermanentError } from '../../../shared/errors.js';
import type { EventMessage } from '../../../shared/jobs/messages.js';
import { memoryLogger } from '../../../shared/log.js';
import type { QueueAccess } from '../../../shared/storage/queueAccess.js';
import { createTableAccess, readEntity, tableNames } from '../../../shared/storage/tables.js';
import { fanOutEvent } from '../../../shared/workflows/fanOutEvent.js';
import { storageConnectionString, uniqueName } from '../../support/storage.js';

/** Records sends; `crashOnSend` makes that (1-based) send throw, like a worker dying mid-fan-out. */
function fakeQueues(crashOnSend?: number) {
  const sent: { queue: string; message: any }[] = [];
  let calls = 0;
  const queues: Pick<QueueAccess, 'send'> = {
    async send(queue, message) {
      calls++;
      if (calls === crashOnSend) throw new Error('worker crashed');
      sent.push({ queue, message });
      return { messageId: String(calls) };
    },
  };
  return { queues: queues as QueueAccess, sent };
}

const config = loadConfig({ AzureWebJobsStorage: storageConnectionString() });
const tables = createTableAccess(config.storage);
const clock = { now: () => new Date('2026-11-22T03:00:00Z') };

function eventMessage(siteId: string, overrides: Partial<EventMessage> = {}): EventMessage {
  return {
    v: 1,
    kind: 'jira.event',
    jobId: randomUUID(),
    siteId,
    deliveryId: 'delivery-1',
    issueKey: 'INC-1',
    projectKey: 'INC',
    webhookEvent: 'jira:issue_updated',
    actions: [
      { action: 'sync-members', params: {} },
      { action: 'close-chat', params: { summary: 'done' } },
    ],
    receivedAt: '2026-11-22T02:59:59.000Z',
    ...overrides,
  };
}

async function deliveryRow(siteId: string, deliveryId: string) {
  return readEntity<{ jobId: string; state: string }>(await tables.table(tableNames.deliveries), siteId, deliveryId);
}

describe('fanOutEvent', () => {
  it('fans a delivery out into one job per action, with deterministic job ids, and records it done', async () => {
    const siteId = uniqueName('site');
    const { queues, sent } = fakeQueues();
    const message = eventMessage(siteId);
    const result = await fanOutEvent(message, { log: memoryLogger() }, { tables, queues, clock });
    assert.deepEqual(result, { outcome: 'done', detail: 'queued sync-members, close-chat' });
    assert.deepEqual(
      sent.map((s) => [s.queue, s.message.jobId, s.message.action, s.message.source, s.message.deliveryId]),
      [
        ['member-jobs', `${message.jobId}:sync-members`, 'sync-members', 'webhook', 'delivery-1'],
        ['chat-jobs', `${message.jobId}:close-chat`, 'close-chat', 'webhook', 'delivery-1'],
      ],
    );
    assert.deepEqual(sent[1]!.message.params, { summary: 'done' });
    const row = await deliveryRow(siteId, 'delivery-1');
    assert.equal(row?.state, 'done');
    assert.equal(row?.jobId, message.jobId);
  });

  it('a second message with the same delivery id (a Jira retry) fans out nothing', async () => {
    const siteId = uniqueName('site');
    const first = fakeQueues();
    await fanOutEvent(eventMessage(siteId), { log: memoryLogger() }, { tables, queues: first.queues, clock });
    const second = fakeQueues();
    const log = memoryLogger();
    const result = await fanOutEvent(eventMessage(siteId), { log }, { tables, queues: second.queues, clock });
    assert.equal(result.outcome, 'ignored');
    assert.match(result.detail ?? '', /delivery delivery-1 was already handled by job/);
    assert.deepEqual(second.sent, []);
    assert.ok(log.lines.some((l) => l.includes('jira.event.duplicate')), 'the duplicate is logged');
  });

  it('the same delivery id on another site is a different delivery', async () => {
    const siteA = uniqueName('site');
    const siteB = uniqueName('site');
    const a = fakeQueues();
    const b = fakeQueues();
    await fanOutEvent(eventMessage(siteA), { log: memoryLogger() }, { tables, queues: a.queues, clock });
    await fanOutEvent(eventMessage(siteB), { log: memoryLogger() }, { tables, queues: b.queues, clock });
    assert.equal(a.sent.length, 2);
    assert.equal(b.sent.length, 2);
  });

  it('a re-run of the same message after a crash mid-fan-out finishes it; a Jira retry meanwhile stays a duplicate', async () => {
    const siteId = uniqueName('site');
    const message = eventMessage(siteId);
    const crashing = fakeQueues(2);
    await assert.rejects(fanOutEvent(message, { log: memoryLogger() }, { tables, queues: crashing.queues, clock }), /worker crashed/);
    assert.equal(crashing.sent.length, 1, 'the first job went out before the crash');
    assert.equal((await deliveryRow(siteId, 'delivery-1'))?.state, 'fanning-out');

    // Jira retries the delivery while the host still holds the crashed message: no second fan-out.
    const retry = fakeQueues();
    assert.equal((await fanOutEvent(eventMessage(siteId), { log: memoryLogger() }, { tables, queues: retry.queues, clock })).outcome, 'ignored');
    assert.deepEqual(retry.sent, []);

    // The host redelivers the crashed message (same job id): the fan-out completes with the same job ids, so the
    // job that already went out is recognised downstream by its id.
    const rerun = fakeQueues();
    const result = await fanOutEvent(structuredClone(message), { log: memoryLogger() }, { tables, queues: rerun.queues, clock });
    assert.equal(result.outcome, 'done');
    assert.deepEqual(rerun.sent.map((s) => s.message.jobId), [`${message.jobId}:sync-members`, `${message.jobId}:close-chat`]);
    assert.equal(rerun.sent[0]!.message.jobId, crashing.sent[0]!.message.jobId);
    assert.equal((await deliveryRow(siteId, 'delivery-1'))?.state, 'done');
  });

  it('without a delivery id (nothing to deduplicate on) every message fans out', async () => {
    const siteId = uniqueName('site');
    for (let i = 0; i < 2; i++) {
      const { queues, sent } = fakeQueues();
      await fanOutEvent(eventMessage(siteId, { deliveryId: undefined }), { log: memoryLogger() }, { tables, queues, clock });
      assert.equal(sent.length, 2);
    }
  });

  describe('a captured signed body replayed with a changed or removed delivery id (the signature covers the body only)', () => {
    const digest = createHash('sha256').update('{"timestamp":1763780399000,"webhookEvent":"jira:issue_updated"}').digest('hex');

    it('fans out once within the dedup window, whatever the delivery id', async () => {
      const siteId = uniqueName('site');
      const first = fakeQueues();
      await fanOutEvent(eventMessage(siteId, { bodyDigest: digest }), { log: memoryLogger() }, { tables, queues: first.queues, clock });
      assert.equal(first.sent.length, 2);
      for (const deliveryId of ['forged-id', undefined]) {
        const replay = fakeQueues();
        const later = { now: () => new Date(clock.now().getTime() + 23 * 3600_000) };
        const result = await fanOutEvent(eventMessage(siteId, { bodyDigest: digest, deliveryId }), { log: memoryLogger() }, { tables, queues: replay.queues, clock: later });
        assert.equal(result.outcome, 'ignored', `delivery id ${deliveryId}`);
        assert.match(result.detail ?? '', /same signed body was already handled/);
        assert.deepEqual(replay.sent, []);
      }
    });

    it('the same message after a crash still finishes; after the window the body counts as new', async () => {
      const siteId = uniqueName('site');
      const message = eventMessage(siteId, { bodyDigest: digest, deliveryId: undefined });
      await assert.rejects(fanOutEvent(message, { log: memoryLogger() }, { tables, queues: fakeQueues(1).queues, clock }), /worker crashed/);
      const rerun = fakeQueues();
      assert.equal((await fanOutEvent(structuredClone(message), { log: memoryLogger() }, { tables, queues: rerun.queues, clock })).outcome, 'done');
      assert.equal(rerun.sent.length, 2);

      const dayLater = { now: () => new Date(clock.now().getTime() + 25 * 3600_000) };
      const late = fakeQueues();
      assert.equal((await fanOutEvent(eventMessage(siteId, { bodyDigest: digest }), { log: memoryLogger() }, { tables, queues: late.queues, clock: dayLater })).outcome, 'done');
      assert.equal(late.sent.length, 2);
    });
  });

  it('a malformed message is a permanent failure and sends nothing', async () => {
    const { queues, sent } = fakeQueues();
    for (const raw of [{}, { ...eventMessage('s'), actions: [] }, { ...eventMessage('s'), actions: [{ action: 'teleport' }] }, { ...eventMessage('s'), v: 2 }]) {
      await assert.rejects(fanOutEvent(raw, { log: memoryLogger() }, { tables, queues, clock }), (e) => e instanceof PermanentError && e.code === 'invalid_message');
    }
    assert.deepEqual(sent, []);
  });
});
