// shared/text/html.ts: the one HTML escaper, and the modules that re-export it instead of carrying their own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, escapeMultiline } from '../../../shared/text/html.js';
import { escapeHtml as pagesEscape } from '../../../shared/identity/pages.js';
import { escapeHtml as chatEscape } from '../../../shared/chats/html.js';

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
