// Jira Automation "Send web request" bodies (shared/jira/automation.ts): the three body options Automation offers
// and the per-action custom-data fields.
// https://support.atlassian.com/cloud-automation/docs/issue-data-automation-format-payload-for-send-web-request
// https://support.atlassian.com/cloud-automation/docs/issue-data-jira-format-payload-for-send-web-request-action
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { customDataSchemas, parseAutomationBody } from '../../../shared/jira/automation.js';
import { publicActions } from '../../../shared/jobs/messages.js';
import { jiraFixturesDir } from '../../support/repoRoot.js';

/** The visible start of Atlassian's "Issue data (Automation format)" sample: a bare issue with numeric ids. */
const automationFormat = {
  id: 11111,
  key: 'ITSM-7',
  fields: {
    issuetype: { id: 22222, name: '[System] Service request', fields: null, statuses: [], namedValue: '[System] Service request' },
    project: { id: 10002, key: 'ITSM', name: 'New ITSM Project', description: null, issuetypes: null, projectCategory: null },
    customfield_10031: { languageCode: 'en', displayName: 'English' },
  },
  changelog: { startAt: 0, maxResults: 0, total: 0, histories: null },
};

function ok(result: ReturnType<typeof parseAutomationBody>) {
  assert.ok(result.ok, `refused: ${!result.ok && result.message}`);
  return result.value;
}

function refused(result: ReturnType<typeof parseAutomationBody>): string {
  assert.equal(result.ok, false, `accepted: ${JSON.stringify(result)}`);
  return (result as { message: string }).message;
}

describe('parseAutomationBody: the three body formats', () => {
  it('Issue data (Automation format): a bare issue object with numeric ids', () => {
    assert.deepEqual(ok(parseAutomationBody('customer-chat', automationFormat)), { issueKey: 'ITSM-7', format: 'automation', params: {} });
  });

  it('Issue data (Jira format): { issue: {...} }, e.g. a real webhook envelope', () => {
    assert.deepEqual(ok(parseAutomationBody('incident-chat', { issue: automationFormat })), { issueKey: 'ITSM-7', format: 'jira', params: {} });
    const webhook = JSON.parse(readFileSync(path.join(jiraFixturesDir(), 'issue_created.kanban.json'), 'utf8'));
    assert.equal(ok(parseAutomationBody('chat', webhook)).issueKey, 'KAN-22');
  });

  it('Custom data: { issueKey, ...params } (issue key trimmed, as smart values may leave spaces)', () => {
    const value = ok(parseAutomationBody('chat', { issueKey: ' INC-42 ', topic: 'War room', members: ['557058:abc', 'pat@contoso.example'] }));
    assert.deepEqual(value, { issueKey: 'INC-42', format: 'custom', params: { topic: 'War room', members: ['557058:abc', 'pat@contoso.example'] } });
  });

  it('refuses a body with no issue key, naming every place it looked', () => {
    for (const body of [{}, { fields: {} }, { issue: {} }, { key: 'INC-1' }, { summary: 'x' }]) {
      const message = refused(parseAutomationBody('chat', body));
      assert.match(message, /issueKey \(custom data\), issue\.key \(Jira format\) and key \(Automation format\)/, JSON.stringify(body));
    }
  });

  it('refuses keys that are not issue keys, naming the field', () => {
    assert.match(refused(parseAutomationBody('chat', { issueKey: '{{issue.key}}' })), /^issueKey must be a Jira issue key.*"\{\{issue\.key\}\}"/);
    assert.match(refused(parseAutomationBody('chat', { issueKey: '' })), /^issueKey/);
    assert.match(refused(parseAutomationBody('chat', { issueKey: 42 })), /^issueKey.*number/);
    assert.match(refused(parseAutomationBody('chat', { issue: { key: 'lower-1' } })), /^issue\.key/);
    assert.match(refused(parseAutomationBody('chat', { key: 'x', fields: {} })), /^key/);
  });

  it('refuses non-object bodies', () => {
    for (const body of [null, [], 'INC-1', 7]) assert.match(refused(parseAutomationBody('chat', body)), /JSON object/);
  });
});

describe('parseAutomationBody: custom data per action', () => {
  it('has a schema for every public action', () => {
    assert.deepEqual(Object.keys(customDataSchemas).sort(), [...publicActions].sort());
  });

  const accepted: [(typeof publicActions)[number], Record<string, unknown>][] = [
    ['incident-chat', { topic: 'P1', members: ['a@contoso.example'], message: 'Join' }],
    ['customer-chat', {}],
    ['epic-chat', { topic: 'Epic room' }],
    ['sync-members', { members: ['557058:abc'] }],
    ['meeting', { subject: 'Bridge call', start: '2026-11-22T10:00:00+01:00', end: '2026-11-22T10:30:00Z', createChat: true }],
    ['stakeholder-update', { message: 'Mitigated', subject: 'Update', recipients: ['ceo@contoso.example'] }],
    ['booking', { serviceId: 'svc-1', start: '2026-11-23T09:00:00Z', customerEmail: 'c@fabrikam.example', customerName: 'C', staffMemberId: 's' }],
    ['booking', { cancel: true }],
    ['close-chat', { summary: 'Fixed by restart', renameTopic: false }],
  ];
  for (const [action, params] of accepted) {
    it(`${action} accepts ${JSON.stringify(params)}`, () => {
      assert.deepEqual(ok(parseAutomationBody(action, { issueKey: 'INC-1', ...params })).params, params);
    });
  }

  const refusedCases: [(typeof publicActions)[number], Record<string, unknown>, RegExp][] = [
    ['chat', { topc: 'typo' }, /topc/],
    ['stakeholder-update', {}, /^message/],
    ['stakeholder-update', { message: 'x', recipients: ['not-an-email'] }, /^recipients\.0/],
    ['meeting', { start: 'tomorrow 10am' }, /^start/],
    ['meeting', { createChat: 'yes' }, /^createChat/],
    ['booking', { customerEmail: 'nope' }, /^customerEmail/],
    ['sync-members', { members: 'a@contoso.example' }, /^members/],
    ['close-chat', { topic: 'x' }, /topic/],
  ];
  for (const [action, params, message] of refusedCases) {
    it(`${action} refuses ${JSON.stringify(params)}, naming the field`, () => {
      assert.match(refused(parseAutomationBody(action, { issueKey: 'INC-1', ...params })), message);
    });
  }
});
