// shared/jobs/messages.ts: queue messages are versioned and validated on the way in; an unknown version, kind or
// action is refused (runJob poisons it), and every action goes to the queue its worker listens on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actions } from '../../../shared/actions.js';
import { eventMessageSchema, jobMessageSchema, queueFor } from '../../../shared/jobs/messages.js';
import { queueNames } from '../../../shared/storage/queues.js';

const job = { v: 1, kind: 'job', jobId: 'j-1', action: 'chat', siteId: 'site-1', issueKey: 'INC-7', source: 'webhook', requestedAt: '2026-12-04T10:00:00.000Z' };
const event = {
  v: 1,
  kind: 'jira.event',
  jobId: 'e-1',
  siteId: 'site-1',
  issueKey: 'INC-7',
  projectKey: 'INC',
  webhookEvent: 'jira:issue_created',
  actions: [{ action: 'incident-chat' }],
  receivedAt: '2026-12-04T10:00:00.000Z',
};

describe('jobMessageSchema', () => {
  it('reads a producer message and fills the defaults (no params, no deferrals yet)', () => {
    assert.deepEqual(jobMessageSchema.parse(job), { ...job, params: {}, deferrals: 0 });
  });

  it('refuses another version, another kind, an unknown action or source, and an empty id', () => {
    for (const [what, bad] of [
      ['version 2', { ...job, v: 2 }],
      ['no version', { ...job, v: undefined }],
      ['an event message', { ...job, kind: 'jira.event' }],
      ['an unknown action', { ...job, action: 'delete-everything' }],
      ['an unknown source', { ...job, source: 'email' }],
      ['an empty job id', { ...job, jobId: '' }],
      ['no issue key', { ...job, issueKey: undefined }],
      ['negative deferrals', { ...job, deferrals: -1 }],
      ['fractional deferrals', { ...job, deferrals: 1.5 }],
      ['params that are not an object', { ...job, params: ['a'] }],
    ] as const) {
      assert.equal(jobMessageSchema.safeParse(bad).success, false, `${what} must be refused`);
    }
  });

  it('keeps only the fields it knows: an unknown field never reaches a workflow', () => {
    const parsed = jobMessageSchema.parse({ ...job, injected: '<script>' }) as Record<string, unknown>;
    assert.equal('injected' in parsed, false);
  });
});

describe('eventMessageSchema', () => {
  it('reads an event with at least one action and a hex SHA-256 body digest', () => {
    const parsed = eventMessageSchema.parse({ ...event, bodyDigest: 'a'.repeat(64) });
    assert.deepEqual(parsed.actions, [{ action: 'incident-chat', params: {} }]);
  });

  it('refuses no actions, an unknown action, a digest that is not 64 lower-case hex characters, and a job kind', () => {
    for (const [what, bad] of [
      ['no actions', { ...event, actions: [] }],
      ['an unknown action', { ...event, actions: [{ action: 'nope' }] }],
      ['a short digest', { ...event, bodyDigest: 'abc' }],
      ['an upper-case digest', { ...event, bodyDigest: 'A'.repeat(64) }],
      ['the job kind', { ...event, kind: 'job' }],
      ['version 0', { ...event, v: 0 }],
    ] as const) {
      assert.equal(eventMessageSchema.safeParse(bad).success, false, `${what} must be refused`);
    }
  });
});

describe('queueFor', () => {
  it('sends every action to a known queue, and each family to its own worker', () => {
    const known = new Set<string>(Object.values(queueNames));
    for (const action of actions) assert.ok(known.has(queueFor(action)), `${action} → ${queueFor(action)}`);
    assert.equal(queueFor('incident-chat'), queueNames.chatJobs);
    assert.equal(queueFor('sync-members'), queueNames.memberJobs);
    assert.equal(queueFor('meeting'), queueNames.meetingJobs);
    assert.equal(queueFor('stakeholder-update'), queueNames.stakeholderJobs);
    assert.equal(queueFor('cancel-booking'), queueNames.bookingJobs);
    assert.equal(queueFor('chat-message'), queueNames.chatToJiraJobs);
  });
});
