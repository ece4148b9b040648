// shared/chats/chatLinks.ts on real Azurite tables: the one row per (site, issue) that makes "exactly one chat per
// issue" hold across racing workers (conditional insert, ETag-conditional updates), and the rows of earlier
// versions (one per issue and kind) still read, so an upgrade never creates a second chat.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findChatLink, readChatLink, reserveChatLink, updateChatLink, type ChatLink } from '../../../shared/chats/chatLinks.js';
import { insertEntity, tableNames } from '../../../shared/storage/tables.js';
import { memoryWorkflow } from '../../support/memoryWorkflow.js';

function setup() {
  const w = memoryWorkflow();
  const link = (issueId: string, overrides: Partial<ChatLink> = {}): ChatLink => ({
    siteId: w.siteId,
    issueId,
    issueKey: `INC-${issueId}`,
    kind: 'incident',
    tenantId: w.tenantId,
    state: 'creating',
    reservationId: 'job-1/1',
    reservedAt: '2026-12-04T10:00:00.000Z',
    topic: `INC-${issueId} Printer on fire`,
    ...overrides,
  });
  return { w, deps: w.deps, link };
}

describe('chat links', () => {
  it('the first reservation for an issue wins; a second, of any kind, finds the row taken', async () => {
    const { deps, link } = setup();
    const first = await reserveChatLink(deps, link('1'));
    assert.ok(first?.etag);
    assert.equal(await reserveChatLink(deps, link('1', { kind: 'generic', reservationId: 'job-2/1' })), undefined);
    assert.equal((await readChatLink(deps, first.siteId, '1'))?.reservationId, 'job-1/1');
  });

  it('an update with a stale ETag loses to the worker that wrote first', async () => {
    const { deps, link } = setup();
    const reserved = (await reserveChatLink(deps, link('2')))!;
    const created = await updateChatLink(deps, reserved, { state: 'created', chatId: '19:a@thread.v2' });
    assert.equal(created?.state, 'created');
    assert.equal(await updateChatLink(deps, reserved, { state: 'created', chatId: '19:b@thread.v2' }), undefined);
    assert.equal((await readChatLink(deps, reserved.siteId, '2'))?.chatId, '19:a@thread.v2');
    assert.ok(await updateChatLink(deps, created!, { firstMessagePosted: true }), 'the fresh ETag from the last write works');
  });

  it('findChatLink returns only a created chat that still exists', async () => {
    const { deps, link, w } = setup();
    assert.equal(await findChatLink(deps, w.siteId, 'none'), undefined);
    const reserved = (await reserveChatLink(deps, link('3')))!;
    assert.equal(await findChatLink(deps, w.siteId, '3'), undefined, 'still creating');
    const created = (await updateChatLink(deps, reserved, { state: 'created', chatId: '19:c@thread.v2' }))!;
    assert.equal((await findChatLink(deps, w.siteId, '3'))?.chatId, '19:c@thread.v2');
    await updateChatLink(deps, created, { goneAt: '2026-12-04T11:00:00.000Z' });
    assert.equal(await findChatLink(deps, w.siteId, '3'), undefined, 'deleted in Teams');
  });

  it('reads a row of an earlier version (keyed per issue and kind), preferring a created one', async () => {
    const { deps, link, w } = setup();
    const table = await deps.tables.table(tableNames.chatLinks);
    await insertEntity(table, w.siteId, '4|incident', link('4', { kind: 'incident', state: 'creating' }));
    await insertEntity(table, w.siteId, '4|generic', link('4', { kind: 'generic', state: 'created', chatId: '19:old@thread.v2' }));
    const found = await readChatLink(deps, w.siteId, '4');
    assert.equal(found?.kind, 'generic');
    assert.equal(found?.chatId, '19:old@thread.v2');
    assert.equal((await findChatLink(deps, w.siteId, '4'))?.chatId, '19:old@thread.v2');
  });

  it('a current row wins over a legacy one for the same issue', async () => {
    const { deps, link, w } = setup();
    const table = await deps.tables.table(tableNames.chatLinks);
    await insertEntity(table, w.siteId, '5|incident', link('5', { state: 'created', chatId: '19:legacy@thread.v2' }));
    await reserveChatLink(deps, link('5', { kind: 'epic' }));
    assert.equal((await readChatLink(deps, w.siteId, '5'))?.kind, 'epic');
  });

  it('keeps each site\'s links apart', async () => {
    const a = setup();
    const b = setup();
    await reserveChatLink(a.deps, a.link('6'));
    assert.equal(await readChatLink(b.deps, b.w.siteId, '6'), undefined);
  });
});
