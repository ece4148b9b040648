// shared/text/template.ts: the one template renderer, and the callers that used to carry their own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate } from '../../../shared/text/template.js';
import { renderIssueTemplate, singleLine } from '../../../shared/meetings/template.js';
import { renderTopic } from '../../../shared/chats/topic.js';
import type { JiraIssue } from '../../../shared/jira/issue.js';

const issue = { id: '10001', key: 'INC-9', summary: 'DB down', issueType: 'Incident', priority: 'P1', labels: [] } as unknown as JiraIssue;

describe('renderTemplate', () => {
  it('fills own properties and leaves any other {word} as written', () => {
    assert.equal(renderTemplate('[{key}] {summary} {nope} {}', { key: 'A-1', summary: '{key}' }), '[A-1] {key} {nope} {}');
  });

  it('never reaches Object.prototype: {constructor}, {__proto__}, {toString} stay literal', () => {
    const template = '{constructor}|{__proto__}|{toString}|{hasOwnProperty}|{valueOf}';
    assert.equal(renderTemplate(template, { key: 'A-1' }), template);
    // The meeting/stakeholder renderer used `name in values`, which rendered "function Object() { [native code] }".
    assert.equal(renderIssueTemplate(`Meeting {key} {constructor} {toString}`, issue), 'Meeting INC-9 {constructor} {toString}');
    assert.equal(renderTopic('{key} {constructor} {__proto__}', issue), 'INC-9 {constructor} {__proto__}');
    assert.doesNotMatch(singleLine(renderIssueTemplate('{constructor}', issue), 255), /native code|function/);
  });
});
