// shared/text/truncate.ts: the one truncator, and the callers that now count as Graph and Jira do.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { truncate } from '../../../shared/text/truncate.js';
import { singleLine } from '../../../shared/meetings/template.js';
import { truncate as truncateComment } from '../../../shared/chatToJira/commands.js';
import { excerpt } from '../../../shared/chats/html.js';

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
