// Issue parsing (shared/jira/issue.ts) from the shapes Jira sends: webhook issues, REST v3 issues with ADF
// descriptions, Automation bodies with numeric ids, JSM responders as identity ARIs, and the edited sample's
// string "None" values and URL-encoded accountIds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultFieldIds, descriptionText, isIssueKey, issuePeople, issueTeams, parseIssue, parseUser } from '../../../shared/jira/issue.js';
import { jiraFixturesDir } from '../../support/repoRoot.js';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(jiraFixturesDir(), name), 'utf8')) as Record<string, any>;

describe('parseIssue', () => {
  it('reads a webhook issue: key, project, type, priority, status, people without e-mails', () => {
    const issue = parseIssue(fixture('issue_created.kanban.json').issue)!;
    assert.equal(issue.key, 'KAN-22');
    assert.equal(issue.id, '10021');
    assert.equal(issue.projectKey, 'KAN');
    assert.equal(issue.projectType, 'software');
    assert.equal(issue.issueType, 'Task');
    assert.equal(issue.priority, 'Medium');
    assert.equal(issue.status, 'To Do');
    assert.equal(issue.statusCategory, 'new');
    assert.equal(issue.assignee?.accountId, '712020:f1ad7cfd-7f82-4dc0-85e4-8bc47bcc08e4');
    assert.equal(issue.assignee?.emailAddress, undefined, 'e-mails are hidden in modern payloads');
    assert.match(issue.description, /^Add back button navigation/);
    assert.deepEqual(issue.requestParticipants, []);
    assert.deepEqual(issue.responders, []);
  });

  it('treats the string "None" (edited Epic sample) as absent, not as a value', () => {
    const body = fixture('issue_created.epic.json');
    assert.equal(body.issue.fields.resolution, 'None', 'the fixture really has it');
    const issue = parseIssue(body.issue)!;
    assert.equal(issue.resolution, undefined);
    assert.equal(issue.issueType, 'Epic');
    assert.deepEqual(issue.labels, ['cloud', 'infra']);
  });

  it('reads the Automation format: numeric ids become strings', () => {
    const issue = parseIssue({ id: 11111, key: 'ITSM-7', fields: { issuetype: { id: 22222, name: '[System] Service request' }, project: { id: 10002, key: 'ITSM', projectTypeKey: 'service_desk' }, summary: 'Printer' } })!;
    assert.equal(issue.id, '11111');
    assert.equal(issue.projectType, 'service_desk');
    assert.equal(issue.issueType, '[System] Service request');
  });

  it('falls back to the key prefix for the project and tolerates missing fields', () => {
    const issue = parseIssue({ key: 'ABC-1' })!;
    assert.equal(issue.projectKey, 'ABC');
    assert.equal(issue.summary, '');
    assert.equal(issue.description, '');
    assert.deepEqual(issue.labels, []);
  });

  it('reads JSM request type, participants and responders (users by ARI; teams apart) from the configured fields', () => {
    const issue = parseIssue({
      key: 'INC-1',
      fields: {
        [defaultFieldIds.requestType]: { requestType: { id: '12', name: 'Report an incident' }, currentStatus: { status: 'Open' } },
        [defaultFieldIds.requestParticipants]: [{ accountId: '557058:p1', displayName: 'Pat' }],
        [defaultFieldIds.responders]: [
          { ari: 'ari:cloud:identity::user/557058:r1', type: 'user', id: '557058:r1', name: 'Robin' },
          { ari: 'ari:cloud:identity::team/abc-team', type: 'team', id: 'abc-team', name: 'Ops' },
          { ari: 'ari:cloud:opsgenie:c0ffee:team/og-team' },
        ],
        labels: ['a', 7, 'b'],
      },
    })!;
    assert.deepEqual(issue.responderTeams, [{ id: 'abc-team', name: 'Ops' }, { id: 'og-team', name: undefined }], 'teams are kept apart, not dropped');
    assert.deepEqual(issueTeams(issue, ['assignee', 'responders']), issue.responderTeams);
    assert.deepEqual(issueTeams(issue, ['assignee']), [], 'only when the project puts responders in the chat');
    assert.equal(issue.requestType, 'Report an incident');
    assert.deepEqual(issue.requestParticipants, [{ accountId: '557058:p1', displayName: 'Pat', emailAddress: undefined }]);
    assert.deepEqual(issue.responders, [{ accountId: '557058:r1', displayName: 'Robin', emailAddress: undefined }]);
    assert.deepEqual(issue.labels, ['a', 'b'], 'non-string labels dropped');
  });

  it('reads custom field ids a project overrides', () => {
    const ids = { requestType: 'customfield_1', requestParticipants: 'customfield_2', responders: 'customfield_3' };
    const issue = parseIssue({ key: 'INC-1', fields: { customfield_1: { requestType: { name: 'Outage' } }, customfield_2: [{ accountId: 'x' }] } }, ids)!;
    assert.equal(issue.requestType, 'Outage');
    assert.equal(issue.requestParticipants[0]?.accountId, 'x');
  });

  it('returns undefined when there is no valid key', () => {
    for (const value of [undefined, null, 'INC-1', [], {}, { key: '' }, { key: 'None' }, { key: 'inc-1' }, { key: 'INC-0' }, { key: 'INC' }]) {
      assert.equal(parseIssue(value), undefined, JSON.stringify(value));
    }
  });
});

describe('parseUser', () => {
  it('decodes a URL-encoded accountId (the Epic sample\'s user)', () => {
    const user = parseUser(fixture('issue_created.epic.json').user)!;
    assert.equal(user.accountId, '557058:69f39959-769f-4dac-8a7a-46eb55b03723');
    assert.equal(user.displayName, 'Your Name');
  });

  it('takes the accountId from a JSM identity ARI and skips team ARIs', () => {
    assert.equal(parseUser({ ari: 'ari:cloud:identity::user/712020:abc', name: 'Robin' })?.accountId, '712020:abc');
    assert.equal(parseUser({ ari: 'ari:cloud:identity::user/712020:abc', name: 'Robin' })?.displayName, 'Robin');
    assert.equal(parseUser({ ari: 'ari:cloud:identity::team/t1', name: 'Ops' }), undefined);
  });

  it('keeps an e-mail only when Jira sent one, and never invents one', () => {
    assert.equal(parseUser(fixture('issue_updated.priority.json').issue.fields.reporter)?.emailAddress, 'some-instance-test@example.com');
    assert.equal(parseUser({ accountId: 'a', emailAddress: '' })?.emailAddress, undefined);
  });

  it('is undefined for null, strings and objects without an id', () => {
    for (const value of [null, undefined, 'admin', { displayName: 'Nobody' }, { accountId: 'None' }]) assert.equal(parseUser(value), undefined);
  });
});

describe('descriptionText', () => {
  it('keeps wiki strings, drops "None" and null', () => {
    assert.equal(descriptionText('h1. Title\nbody'), 'h1. Title\nbody');
    assert.equal(descriptionText('None'), '');
    assert.equal(descriptionText(null), '');
    assert.equal(descriptionText(42), '');
  });

  it('flattens an ADF document (REST v3) to text with line breaks between blocks', () => {
    const adf = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Impact' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Checkout is ' }, { type: 'text', text: 'down', marks: [{ type: 'strong' }] }, { type: 'hardBreak' }, { type: 'text', text: 'since 09:00' }] },
        { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'EU' }] }] }] },
        { type: 'paragraph', content: [{ type: 'mention', attrs: { id: '557058:x', text: '@Pat' } }, { type: 'text', text: ' please look' }] },
      ],
    };
    assert.equal(descriptionText(adf), 'Impact\nCheckout is down\nsince 09:00\nEU\n\n@Pat please look');
  });
});

describe('issue keys and people', () => {
  it('isIssueKey accepts project keys with digits and underscores only in Jira\'s form', () => {
    for (const key of ['INC-1', 'A1_B-42', 'KAN-22']) assert.equal(isIssueKey(key), true, key);
    for (const key of ['inc-1', '1NC-1', 'INC-01', 'INC-', 'INC 1', ' INC-1', 'INC-1 ']) assert.equal(isIssueKey(key), false, key);
  });

  it('issuePeople de-duplicates by accountId across the chosen fields', () => {
    const issue = parseIssue({
      key: 'INC-1',
      fields: { assignee: { accountId: 'a' }, reporter: { accountId: 'a' }, [defaultFieldIds.requestParticipants]: [{ accountId: 'b' }], [defaultFieldIds.responders]: [{ ari: 'ari:cloud:identity::user/c' }] },
    })!;
    assert.deepEqual(issuePeople(issue, ['assignee', 'reporter', 'requestParticipants', 'responders']).map((u) => u.accountId), ['a', 'b', 'c']);
    assert.deepEqual(issuePeople(issue, ['responders']).map((u) => u.accountId), ['c']);
  });
});
