// shared/chats/memberPacing.ts on real Azurite tables (the budget is one ETag-guarded row shared by every worker):
// Graph allows 4 member adds and 4 removals per minute per chat (graph-contract §2, throttling-teams).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { markChatThrottled, memberChangesPerMinute, settleMemberSlots, takeMemberSlots, type MemberOp } from '../../../shared/chats/memberPacing.js';
import { memoryWorkflow } from '../../support/memoryWorkflow.js';

function setup() {
  const w = memoryWorkflow();
  let now = Date.parse('2026-12-04T10:00:00.000Z');
  const deps = { tables: w.deps.tables, clock: { now: () => new Date(now) } };
  return {
    deps,
    tenantId: randomUUID(),
    chatId: `19:${randomUUID()}@thread.v2`,
    advance: (seconds: number) => (now += seconds * 1000),
  };
}

const adds = (...ids: string[]) => ids.map((userId) => ({ op: 'add' as MemberOp, userId }));
const removes = (...ids: string[]) => ids.map((userId) => ({ op: 'remove' as MemberOp, userId }));

describe('takeMemberSlots', () => {
  it(`grants ${memberChangesPerMinute} adds a minute and says when the oldest slot frees`, async () => {
    const { deps, tenantId, chatId, advance } = setup();
    const first = await takeMemberSlots(deps, tenantId, chatId, adds('u1', 'u2', 'u3'));
    assert.deepEqual(first.granted, adds('u1', 'u2', 'u3'));
    assert.equal(first.retryAfterSeconds, undefined);
    advance(20);
    const second = await takeMemberSlots(deps, tenantId, chatId, adds('u4', 'u5', 'u6'));
    assert.deepEqual(second.granted, adds('u4'));
    assert.equal(second.retryAfterSeconds, 40, 'the first three slots free 60 s after they were taken');
  });

  it('counts adds and removals separately', async () => {
    const { deps, tenantId, chatId } = setup();
    await takeMemberSlots(deps, tenantId, chatId, adds('a1', 'a2', 'a3', 'a4'));
    const r = await takeMemberSlots(deps, tenantId, chatId, [...removes('r1', 'r2', 'r3', 'r4'), ...adds('a5')]);
    assert.deepEqual(r.granted, removes('r1', 'r2', 'r3', 'r4'));
    assert.equal(r.retryAfterSeconds, 60);
  });

  it('frees the slots a minute after they were taken', async () => {
    const { deps, tenantId, chatId, advance } = setup();
    await takeMemberSlots(deps, tenantId, chatId, adds('u1', 'u2', 'u3', 'u4'));
    advance(59);
    assert.deepEqual((await takeMemberSlots(deps, tenantId, chatId, adds('u5'))).granted, []);
    advance(1);
    assert.deepEqual((await takeMemberSlots(deps, tenantId, chatId, adds('u5'))).granted, adds('u5'));
  });

  it('leaves a change another worker is sending to that worker, and skips one it already made', async () => {
    const { deps, tenantId, chatId } = setup();
    await takeMemberSlots(deps, tenantId, chatId, adds('Pending-User', 'done-user', 'refused-user'));
    await settleMemberSlots(deps, tenantId, chatId, [
      { op: 'add', userId: 'DONE-USER', state: 'done' },
      { op: 'add', userId: 'refused-user', state: 'refused' },
    ]);
    const r = await takeMemberSlots(deps, tenantId, chatId, adds('pending-user', 'done-user', 'refused-user'));
    assert.deepEqual(r.takenByOthers, adds('pending-user'), 'user ids compare case-insensitively');
    assert.deepEqual(r.doneByOthers, adds('done-user'));
    assert.deepEqual(r.granted, adds('refused-user'), 'a refused change may be tried again, with the last free slot');
  });

  it(`two workers racing for the same chat get at most ${memberChangesPerMinute} slots between them`, async () => {
    const { deps, tenantId, chatId } = setup();
    const [a, b] = await Promise.all([
      takeMemberSlots(deps, tenantId, chatId, adds('a1', 'a2', 'a3')),
      takeMemberSlots(deps, tenantId, chatId, adds('b1', 'b2', 'b3')),
    ]);
    assert.equal(a.granted.length + b.granted.length, memberChangesPerMinute);
    assert.ok((a.retryAfterSeconds ?? b.retryAfterSeconds) !== undefined, 'the one left short is told when to come back');
  });

  it('keeps budgets of different chats and tenants apart', async () => {
    const { deps, tenantId, chatId } = setup();
    await takeMemberSlots(deps, tenantId, chatId, adds('u1', 'u2', 'u3', 'u4'));
    assert.equal((await takeMemberSlots(deps, tenantId, `${chatId}-other`, adds('u1'))).granted.length, 1);
    assert.equal((await takeMemberSlots(deps, randomUUID(), chatId, adds('u1'))).granted.length, 1);
  });
});

describe('markChatThrottled', () => {
  it('after a 429 every worker waits until Graph\'s Retry-After, and the unused slots are given back', async () => {
    const { deps, tenantId, chatId, advance } = setup();
    await takeMemberSlots(deps, tenantId, chatId, adds('u1', 'u2'));
    await markChatThrottled(deps, tenantId, chatId, 'add', 30, adds('U2'));
    const blocked = await takeMemberSlots(deps, tenantId, chatId, adds('u2'));
    assert.deepEqual(blocked.granted, []);
    assert.deepEqual(blocked.takenByOthers, [], 'u2\'s unused slot was released, so u2 is not someone another worker is adding');
    assert.equal(blocked.retryAfterSeconds, 30);
    advance(30);
    assert.deepEqual((await takeMemberSlots(deps, tenantId, chatId, adds('u2'))).granted, adds('u2'));
  });

  it('blocks a chat that had no pacing row yet, for that kind of change only', async () => {
    const { deps, tenantId, chatId } = setup();
    await markChatThrottled(deps, tenantId, chatId, 'remove', 10);
    assert.equal((await takeMemberSlots(deps, tenantId, chatId, removes('u1'))).retryAfterSeconds, 10);
    assert.deepEqual((await takeMemberSlots(deps, tenantId, chatId, adds('u1'))).granted, adds('u1'));
  });
});
