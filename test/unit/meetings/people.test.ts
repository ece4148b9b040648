// shared/meetings/people.ts: meetings and Bookings map an issue's people through the chats feature's session (its
// consent carries User.ReadBasic.All). Nobody to map: no session asked for; the chats feature not set up: a warning
// and nobody mapped, so the meeting is still created; anything else (a transient failure) is the job's to retry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import type { GraphSession } from '../../../shared/graph/session.js';
import { mapThroughChatsSession } from '../../../shared/meetings/people.js';
import { memoryWorkflow } from '../../support/memoryWorkflow.js';

describe('mapping people for meetings', () => {
  it('maps the people found by e-mail through the chats session and keeps that session for the request ids', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    const features: string[] = [];
    const graphFor = w.deps.graphFor;
    w.deps.graphFor = async (tenantId, feature, options) => (features.push(feature), graphFor(tenantId, feature, options));
    const sessions: GraphSession[] = [];

    const mapped = await mapThroughChatsSession(w.deps, w.context(), sessions, w.tenantId, [{ accountId: 'acc-ana', emailAddress: ana.mail! }, { accountId: 'acc-x' }], {
      siteId: w.siteId,
      issueKey: 'INC-1',
    });

    assert.deepEqual(mapped.map((m) => [m.accountId, m.entraObjectId]), [['acc-ana', ana.id]]);
    assert.deepEqual(features, ['chats']);
    assert.equal(sessions.length, 1);
    w.graph.assertNoViolations();
  });

  it('asks for no Graph session when the issue has nobody to map', async () => {
    const w = memoryWorkflow();
    w.deps.graphFor = async () => assert.fail('no session needed');
    assert.deepEqual(await mapThroughChatsSession(w.deps, w.context(), [], w.tenantId, [], { siteId: w.siteId, issueKey: 'INC-2' }), []);
  });

  it('without the chats feature maps nobody and says why in the log; a transient failure is rethrown', async () => {
    const w = memoryWorkflow();
    w.deps.graphFor = async () => {
      throw new PermanentError('tenant has not consented to the chats feature', 'not_consented');
    };
    const sessions: GraphSession[] = [];
    assert.deepEqual(await mapThroughChatsSession(w.deps, w.context(), sessions, w.tenantId, [{ accountId: 'a', emailAddress: 'a@x.example' }], { siteId: w.siteId, issueKey: 'INC-3' }), []);
    assert.equal(sessions.length, 0);
    assert.ok(w.log.lines.some((l) => l.includes('people.mapping-unavailable') && l.includes('not consented to the chats feature')));

    w.deps.graphFor = async () => {
      throw new Error('secret store unreachable');
    };
    await assert.rejects(mapThroughChatsSession(w.deps, w.context(), [], w.tenantId, [{ accountId: 'a', emailAddress: 'a@x.example' }], { siteId: w.siteId, issueKey: 'INC-3' }), /secret store unreachable/);
  });
});
