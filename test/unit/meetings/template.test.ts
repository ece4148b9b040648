// shared/meetings/template.ts: meeting subjects and stakeholder messages over an issue's fields. Plain text out
// (callers escape), unknown or inherited placeholders left as written, subjects on one line within Graph's limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderIssueTemplate, singleLine } from '../../../shared/meetings/template.js';
import { jiraIssue } from '../../support/memoryWorkflow.js';

describe('issue templates', () => {
  it('fills every documented field, with Unassigned and empty text for what the issue lacks', () => {
    const full = jiraIssue({
      key: 'INC-5',
      summary: 'Disk <full>',
      issueType: 'Incident',
      priority: 'P2',
      status: 'Open',
      resolution: 'Fixed',
      assignee: { accountId: 'a', displayName: 'Ana' },
      reporter: { accountId: 'r', displayName: 'Rita' },
    });
    assert.equal(
      renderIssueTemplate('{key}|{summary}|{issueType}|{priority}|{status}|{resolution}|{assignee}|{reporter}', full),
      'INC-5|Disk <full>|Incident|P2|Open|Fixed|Ana|Rita',
      'plain text: escaping is the caller\'s job',
    );
    const bare = jiraIssue({ key: 'INC-6', priority: undefined, status: undefined });
    assert.equal(renderIssueTemplate('[{priority}] {assignee} / {reporter} / {resolution}', bare), '[] Unassigned /  / ');
  });

  it('leaves unknown, inherited and misspelt placeholders as written', () => {
    const issue = jiraIssue({ key: 'INC-7' });
    assert.equal(renderIssueTemplate('{constructor} {toString} {__proto__} {Key} {key}', issue), '{constructor} {toString} {__proto__} {Key} INC-7');
    assert.equal(renderIssueTemplate('json {"a": 1} and {{key}}', issue), 'json {"a": 1} and {INC-7}');
  });

  it('a summary cannot break a subject onto two lines, and a subject stays within the limit in UTF-16 units', () => {
    const issue = jiraIssue({ key: 'INC-8', summary: 'line one\r\nBcc: evil@x.example\u2028tab\there' });
    assert.equal(singleLine(renderIssueTemplate('[{key}] {summary}', issue), 255), '[INC-8] line one Bcc: evil@x.example tab here');
    const long = singleLine('é'.repeat(300), 255);
    assert.ok(long.length <= 255);
    const emoji = singleLine('😀'.repeat(200), 255);
    assert.ok(emoji.length <= 255);
    assert.doesNotMatch(emoji, /[\ud800-\udbff]$/, 'no half of a surrogate pair at the cut');
  });
});
