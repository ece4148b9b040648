// Webhook bodies to rule events (shared/jira/events.ts), over every real capture in ../shared/fixtures/jira/ and
// the quirks its README lists: "Status" vs "status" in changelogs, ARI-encoded from/to, the string "None", a
// comment event with a slim issue, a reopen that clears the resolution.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { changesFrom, noChanges, parseWebhookEvent, type EventChanges, type JiraEvent } from '../../../shared/jira/events.js';
import { jiraFixturesDir } from '../../support/repoRoot.js';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(jiraFixturesDir(), name), 'utf8')) as Record<string, any>;

type Expected = Pick<JiraEvent, 'trigger' | 'issueKey' | 'projectKey' | 'issueType'> & Partial<Omit<JiraEvent, 'changes'>> & { changes?: Partial<EventChanges> };

/** What each real capture must turn into (values read from the payloads; see the fixtures README). */
const expected: Record<string, Expected> = {
  'comment_created.json': { trigger: 'commented', issueKey: 'TALK-132', projectKey: 'TALK', issueType: 'Баг', priority: 'Обычный' },
  'issue_created.epic.json': { trigger: 'created', issueKey: 'PI-1', projectKey: 'PI', issueType: 'Epic', labels: ['cloud', 'infra'] },
  'issue_created.kanban.json': { trigger: 'created', issueKey: 'KAN-22', issueId: '10021', projectKey: 'KAN', issueType: 'Task', priority: 'Medium' },
  'issue_created.many-custom-fields.json': { trigger: 'created', issueKey: 'KT-22', projectKey: 'KT', issueType: 'Task', labels: ['Label1', 'Label2'] },
  'issue_created.story.json': { trigger: 'created', issueKey: 'GBL-108', projectKey: 'GBL', issueType: 'Story' },
  'issue_updated.assignee.json': { trigger: 'updated', issueKey: 'CRM-13', projectKey: 'CRM', issueType: 'Task', changes: { assignee: true } },
  'issue_updated.description-ari-changelog.json': { trigger: 'updated', issueKey: 'TALK-132', projectKey: 'TALK', issueType: 'Bug' },
  'issue_updated.description.json': { trigger: 'updated', issueKey: 'KAN-22', projectKey: 'KAN', issueType: 'Task' },
  'issue_updated.priority.json': { trigger: 'updated', issueKey: 'TES-41', projectKey: 'TES', issueType: 'Story', priority: 'High', changes: { priority: true } },
  'issue_updated.reopened.with-epic-parent.json': { trigger: 'updated', issueKey: 'LD-109', projectKey: 'LD', issueType: 'Task', changes: { status: true, resolution: 'reopened' } },
  'issue_updated.status-transition.json': { trigger: 'updated', issueKey: 'GBL-142', projectKey: 'GBL', issueType: 'Story', changes: { status: true } },
  'issue_updated.unassigned.json': { trigger: 'updated', issueKey: 'CRM-8', projectKey: 'CRM', issueType: 'Story', changes: { assignee: true } },
};

describe('parseWebhookEvent over the real captures', () => {
  it('covers every fixture file (a new capture needs an expectation here)', () => {
    const files = readdirSync(jiraFixturesDir()).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`${file} → ${want.trigger} ${want.issueKey}`, () => {
      const body = fixture(file);
      const parsed = parseWebhookEvent(body);
      assert.ok(parsed.ok, `not parsed: ${!parsed.ok && parsed.message}`);
      const event = parsed.value;
      const { changes, ...fields } = want;
      for (const [name, value] of Object.entries(fields)) assert.deepEqual(event[name as keyof JiraEvent], value, name);
      // A create event carries a changelog of "set from null" items; none of them is a change a rule reacts to.
      assert.deepEqual(event.changes, { ...noChanges, ...changes }, 'changes');
      assert.equal(event.webhookEvent, body.webhookEvent);
      assert.equal(event.timestamp, body.timestamp);
      assert.equal(event.requestType, undefined, 'none of the captures is a JSM request');
    });
  }

  it('the ARI-encoded description changelog is no member, status or resolution change', () => {
    const body = fixture('issue_updated.description-ari-changelog.json');
    assert.match(body.changelog.items[0].from, /^\{"id":"ari:cloud:jira:/, 'the fixture really has JSON-in-a-string from/to');
    assert.deepEqual(changesFrom(body.changelog), noChanges);
  });

  it('an unassignment (to: null) is still an assignee change', () => {
    const body = fixture('issue_updated.unassigned.json');
    assert.equal(body.changelog.items[0].to, null);
    assert.equal(changesFrom(body.changelog).assignee, true);
  });
});

describe('changesFrom', () => {
  it('reads field names in any case when fieldId is absent ("Status" on create, "status" on transitions)', () => {
    assert.equal(changesFrom({ items: [{ field: 'Status', from: '1', to: '2' }] }).status, true);
    assert.equal(changesFrom({ items: [{ field: 'PRIORITY' }] }).priority, true);
    assert.equal(changesFrom({ items: [{ field: 'Assignee' }] }).assignee, true);
  });

  it('tells a resolution set from a resolution cleared', () => {
    assert.equal(changesFrom({ items: [{ field: 'resolution', fieldId: 'resolution', from: null, to: '10000' }] }).resolution, 'resolved');
    assert.equal(changesFrom({ items: [{ field: 'resolution', fieldId: 'resolution', from: '10000', to: null }] }).resolution, 'reopened');
  });

  it('knows request participants and responders by field id or by name', () => {
    assert.equal(changesFrom({ items: [{ field: 'Request participants', fieldId: 'customfield_10027' }] }).requestParticipants, true);
    assert.equal(changesFrom({ items: [{ field: 'Request participants' }] }).requestParticipants, true);
    assert.equal(changesFrom({ items: [{ field: 'Responders', fieldId: 'customfield_10041' }] }).responders, true);
    const ids = { requestType: 'customfield_1', requestParticipants: 'customfield_2', responders: 'customfield_3' };
    const custom = changesFrom({ items: [{ field: 'Mitwirkende', fieldId: 'customfield_2' }, { field: 'Einsatzkräfte', fieldId: 'customfield_3' }] }, ids);
    assert.equal(custom.requestParticipants, true, "the project's own field id counts");
    assert.equal(custom.responders, true);
  });

  it('ignores a missing or malformed changelog', () => {
    for (const changelog of [undefined, null, {}, { items: 'x' }, { items: [null, 1, 'x', {}] }]) {
      assert.deepEqual(changesFrom(changelog), noChanges, JSON.stringify(changelog));
    }
  });
});

describe('parseWebhookEvent refusals name the problem', () => {
  const base = fixture('issue_created.kanban.json');
  const cases: [string, unknown, RegExp][] = [
    ['an array', [base], /JSON object/],
    ['null', null, /JSON object/],
    ['no webhookEvent', { ...base, webhookEvent: undefined }, /webhookEvent is missing/],
    ['no issue', { ...base, issue: undefined }, /issue\.key/],
    ['an issue without key', { ...base, issue: { ...base.issue, key: undefined } }, /issue\.key/],
    ['a key that is not an issue key', { ...base, issue: { ...base.issue, key: 'not a key' } }, /issue\.key/],
  ];
  for (const [name, body, message] of cases) {
    it(name, () => {
      const parsed = parseWebhookEvent(body);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { message: string }).message, message);
    });
  }
});
