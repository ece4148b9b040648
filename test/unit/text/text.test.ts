// The one template renderer, escaper and truncator (shared/text/) and the callers that used to carry their own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate } from '../../../shared/text/template.js';
import { escapeHtml, escapeMultiline } from '../../../shared/text/html.js';
import { truncate } from '../../../shared/text/truncate.js';
import { renderIssueTemplate, singleLine } from '../../../shared/meetings/template.js';
import { renderTopic } from '../../../shared/chats/topic.js';
import { truncate as truncateComment } from '../../../shared/chatToJira/commands.js';
import { escapeHtml as pagesEscape } from '../../../shared/identity/pages.js';
import { escapeHtml as chatEscape, excerpt } from '../../../shared/chats/html.js';
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

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and in either kind of quoted attribute', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    assert.equal(escapeMultiline('a<b\r\nc\nd'), 'a&lt;b<br>c<br>d');
  });

  it('is the same function wherever it is imported from', () => {
    assert.equal(pagesEscape, escapeHtml);
    assert.equal(chatEscape, escapeHtml);
  });
});

describe('truncate', () => {
  it('leaves text that fits alone and never exceeds the limit in UTF-16 code units', () => {
    assert.equal(truncate('abc', 3), 'abc');
    assert.equal(truncate('abcd', 3), 'ab…');
    const emoji = '🔥'.repeat(10); // 20 code units, 10 code points
    const cut = truncate(emoji, 10);
    assert.equal(cut.length <= 10, true);
    assert.equal(cut, `${'🔥'.repeat(4)}…`);
    assert.doesNotMatch(cut, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/, 'no lone surrogate');
  });

  it('cuts between grapheme clusters and drops trailing space before the mark', () => {
    const family = '👨‍👩‍👧'; // 8 code units, one grapheme
    assert.equal(truncate(`ab ${family}`, 6), 'ab…');
    assert.equal(truncate('e\u0301e\u0301e\u0301', 4), 'e\u0301…');
    assert.equal(truncate('abcdef', 5, ' [cut]'), 'abcde', 'a mark longer than the limit is left off rather than break it');
  });

  it('the callers now count as Graph and Jira do (UTF-16 code units)', () => {
    assert.equal(singleLine('🔥'.repeat(200), 255).length <= 255, true, 'the old code-point count allowed 255 emoji = 510 units');
    const comment = truncateComment('😀'.repeat(20_000));
    assert.equal(comment.length <= 30_000, true);
    assert.match(comment, /… \(cut: the full message is in the Teams chat\)$/);
    assert.equal(truncateComment('short'), 'short');
    const description = excerpt(`  ${'🔥'.repeat(1000)}  `);
    assert.equal(description.length <= 1500, true, 'the description excerpt counted code points: 1500 emoji were 3000 units');
    assert.equal(excerpt('  short  '), 'short');
  });
});
