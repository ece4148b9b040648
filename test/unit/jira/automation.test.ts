// Jira Automation "Send web request" bodies (shared/jira/automation.ts): the three body options Automation offers
// and the per-action custom-data fields.
// https://support.atlassian.com/cloud-automation/docs/issue-data-automation-format-payload-for-send-web-request
// https://support.atlassian.com/cloud-automation/docs/issue-data-jira-format-payload-for-send-web-request-action
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { customDataSchemas, parseAutomationBody } from '../../../shared/jira/automation.js';
import { publicActions } from '../../../shared/actions.js';
import { jiraFixturesDir, repoRoot } from '../../support/repoRoot.js';

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
    ['meeting', { subject: 'Bridge call', start: '2026-11-22T09:00:00.000Z', end: '2026-11-22T10:30:00.000Z', createChat: true }],
    ['stakeholder-update', { message: 'Mitigated', subject: 'Update', recipients: ['ceo@contoso.example'] }],
    ['booking', { serviceId: 'svc-1', start: '2026-11-23T09:00:00.000Z', customerEmail: 'c@fabrikam.example', customerName: 'C', staffMemberId: 's' }],
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

// What Jira Automation really renders, exactly as ../shared/contracts/jira-automation.md lists it (from Atlassian's
// "Jira smart values – date and time" page): the same strings a rule sends.
describe('parseAutomationBody: dates as Jira Automation renders them', () => {
  const rendered: [string, string, string][] = [
    ['{{now}} (default jiraDateTime, offset without a colon, one fraction digit)', '2020-08-18T02:40:37.0+0000', '2020-08-18T02:40:37.000Z'],
    ['.jiraDateTime with a negative offset', '1979-11-01T06:23:12.0-0500', '1979-11-01T11:23:12.000Z'],
    ['Automation-format issue date (three fraction digits, +0530)', '2022-02-18T15:20:11.662+0530', '2022-02-18T09:50:11.662Z'],
    ['.format("yyyy-MM-dd\'T\'HH:mm:ssXXX") (strict ISO 8601)', '1979-11-01T06:23:12-05:00', '1979-11-01T11:23:12.000Z'],
  ];
  for (const [what, text, iso] of rendered) {
    it(`meeting and booking accept ${what}: ${text}`, () => {
      const meeting = ok(parseAutomationBody('meeting', { issueKey: 'INC-1', start: text, end: text.replace(/^(\d{4})/, (y) => String(Number(y) + 1)) }));
      assert.equal(meeting.params.start, iso, 'carried on as ISO 8601 UTC');
      assert.equal(ok(parseAutomationBody('booking', { issueKey: 'INC-1', start: text })).params.start, iso);
    });
  }

  it('a date-only value (.jiraDate / .jqlDate) is refused with 400 text naming the field and the accepted forms', () => {
    for (const field of ['start', 'end']) {
      const message = refused(parseAutomationBody('meeting', { issueKey: 'INC-1', [field]: '1979-11-01' }));
      assert.match(message, new RegExp(`^${field}: "1979-11-01" is a date without a time`));
      assert.match(message, /2020-08-18T02:40:37\.0\+0000/, 'names Jira\'s default rendering');
      assert.match(message, /ISO 8601/);
    }
  });

  it('a .jqlDateTime value (no offset) is refused, saying the offset is missing', () => {
    const message = refused(parseAutomationBody('booking', { issueKey: 'INC-1', start: '1979-11-01 06:23' }));
    assert.match(message, /^start: "1979-11-01 06:23" has no UTC offset/);
    assert.match(message, /\{\{now\}\}/);
  });

  it('impossible dates and offsets are refused, not moved', () => {
    assert.match(refused(parseAutomationBody('meeting', { issueKey: 'INC-1', start: '2020-02-30T02:40:37.0+0000' })), /^start: .*not a valid calendar/);
    assert.match(refused(parseAutomationBody('meeting', { issueKey: 'INC-1', start: '2020-08-18T02:40:37.0+2500' })), /^start: .*offset/);
  });
});

describe('parseAutomationBody: smart values that render empty', () => {
  it('an unassigned issue\'s ["{{issue.assignee.accountId}}"] renders [""], which is treated as no one', () => {
    assert.deepEqual(ok(parseAutomationBody('chat', { issueKey: 'INC-1', members: [''] })).params, { members: [] });
    assert.deepEqual(ok(parseAutomationBody('sync-members', { issueKey: 'INC-1', members: ['', '557058:abc'] })).params, { members: ['557058:abc'] });
    assert.deepEqual(ok(parseAutomationBody('stakeholder-update', { issueKey: 'INC-1', message: 'm', recipients: ['', 'cio@acme.example'] })).params, {
      message: 'm',
      recipients: ['cio@acme.example'],
    });
  });

  it('an optional field that renders empty is absent, so its default applies', () => {
    assert.deepEqual(ok(parseAutomationBody('booking', { issueKey: 'INC-1', start: '', customerEmail: '', serviceId: '' })).params, {});
    assert.deepEqual(ok(parseAutomationBody('meeting', { issueKey: 'INC-1', start: '', end: '' })).params, {});
  });
});

describe('docs/jira-automation.md recipes, rendered the way Jira renders them', () => {
  // Jira pastes a smart value into the body as-is (../shared/contracts/jira-automation.md, "Text inside JSON"):
  // free text holds quotes and line breaks; `.asJsonString` renders a complete JSON string; a date renders as
  // jiraDateTime; an unassigned issue's accountId renders empty.
  const freeText = 'Rebooted "core-1"\nstill \\ flaky';
  function render(template: string): string {
    return template.replace(/\{\{([^}]+)\}\}/g, (_, expr: string) => {
      if (expr.endsWith('.asJsonString')) return JSON.stringify(freeText);
      if (expr === 'issue.key') return 'INC-1';
      if (expr === 'issue.assignee.accountId') return '';
      if (/^now\b|customfield_10050/.test(expr)) return '2020-08-18T02:40:37.0+0000';
      return freeText;
    });
  }
  const recipesDoc = readFileSync(path.join(repoRoot(), 'docs', 'jira-automation.md'), 'utf8');
  const recipes = /Copy-paste examples[^\n]*\n\n```json\n([\s\S]*?)```/.exec(recipesDoc)?.[1]?.trim().split('\n') ?? [];

  it('docs/jira-automation.md has the recipes', () => assert.ok(recipes.length >= 5, `found ${recipes.length}`));
  for (const recipe of recipes) {
    it(`renders to valid JSON that an action accepts: ${recipe}`, () => {
      const text = render(recipe.replace('<bookings service id>', 'svc-1'));
      let body: unknown;
      assert.doesNotThrow(() => (body = JSON.parse(text)), `invalid JSON once rendered: ${text}`);
      const results = publicActions.map((action) => parseAutomationBody(action, body));
      assert.ok(results.some((r) => r.ok), `no action accepts ${text}: ${results.map((r) => !r.ok && r.message).join(' | ')}`);
    });
  }
});
