// shared/chats/html.ts: a product rule (DESIGN, the common brief): every Jira-provided string put into Teams HTML
// is escaped, inside text and attributes alike. Each field of a Jira issue here carries markup that would run or
// break out of an attribute if it reached the chat unescaped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issueDetailsHtml, link } from '../../../shared/chats/html.js';
import type { JiraIssue } from '../../../shared/jira/issue.js';

const hostile = (field: string) => `<img src=x onerror="alert('${field}')">&amp;`;
const escaped = (field: string) => `&lt;img src=x onerror=&quot;alert(&#39;${field}&#39;)&quot;&gt;&amp;amp;`;

/** The tags the details block itself writes; anything else in the output came from Jira unescaped. */
const ownTags = new Set(['p', '/p', 'b', '/b', 'br', 'a', '/a']);
function foreignTags(html: string): string[] {
  return [...html.matchAll(/<\s*(\/?[a-z][a-z0-9]*)/gi)].map((m) => m[1]!.toLowerCase()).filter((t) => !ownTags.has(t));
}

const user = (field: string) => ({ accountId: `acc-${field}`, displayName: hostile(field) });
const issue: JiraIssue = {
  id: '10001',
  key: 'INC-1',
  projectKey: 'INC',
  summary: hostile('summary'),
  description: `${hostile('description')}\nsecond line`,
  issueType: 'Incident',
  priority: hostile('priority'),
  status: hostile('status'),
  labels: [],
  assignee: user('assignee'),
  reporter: user('reporter'),
  requestType: hostile('requestType'),
  requestParticipants: [],
  responders: [],
};

describe('issueDetailsHtml', () => {
  const html = issueDetailsHtml(issue, 'https://acme.atlassian.net');

  it('escapes every Jira string it shows: summary, priority, status, assignee, reporter, request type, description', () => {
    assert.deepEqual(foreignTags(html), [], html);
    for (const field of ['summary', 'priority', 'status', 'assignee', 'reporter', 'requestType', 'description']) {
      assert.ok(html.includes(escaped(field)), `${field} is escaped in ${html}`);
    }
  });

  it('keeps the description\'s line breaks as <br> after escaping it', () => {
    assert.ok(html.includes(`${escaped('description')}<br>second line`), html);
  });

  it('links the issue key to the issue in Jira, with the key encoded in the href and escaped in the text', () => {
    assert.ok(html.includes('<a href="https://acme.atlassian.net/browse/INC-1">INC-1</a>'), html);
    const odd = issueDetailsHtml({ ...issue, key: 'A"><script>x</script>' }, 'https://acme.atlassian.net');
    assert.deepEqual(foreignTags(odd), [], odd);
    assert.doesNotMatch(odd, /href="[^"]*"[^>]*"/, 'the href attribute is not broken out of');
  });

  it('says Unassigned for no assignee, someone for a person without a display name, and a dash for no priority', () => {
    const plain = issueDetailsHtml({ ...issue, assignee: undefined, reporter: { accountId: 'acc-1' }, priority: undefined, requestType: undefined, description: '' }, 'https://acme.atlassian.net');
    assert.match(plain, /<b>Assignee:<\/b> Unassigned/);
    assert.match(plain, /<b>Reporter:<\/b> someone/);
    assert.match(plain, /<b>Priority:<\/b> —/);
    assert.doesNotMatch(plain, /Request type/);
    assert.ok(plain.endsWith('</p>'), 'no empty description paragraph');
    assert.equal(plain.split('<p>').length - 1, 2);
  });

  it('shows only an excerpt of a long description, the issue has the rest', () => {
    const long = issueDetailsHtml({ ...issue, description: 'x'.repeat(5000) }, 'https://acme.atlassian.net');
    const paragraph = /<p>(x+…)<\/p>$/.exec(long)?.[1];
    assert.equal(paragraph?.length, 1500, 'the excerpt, mark included, is 1500 characters');
  });
});

describe('link', () => {
  it('escapes the text and the href', () => {
    assert.equal(link('https://example.test/a?b=1&c="2"', '<b>Open</b> & go'), '<a href="https://example.test/a?b=1&amp;c=%222%22">&lt;b&gt;Open&lt;/b&gt; &amp; go</a>');
  });

  it('refuses any scheme but http(s), so no javascript: or data: link reaches a chat', () => {
    for (const href of ['javascript:alert(1)', 'data:text/html,<script>x</script>', 'file:///etc/passwd']) {
      assert.throws(() => link(href, 'x'), /non-http/, href);
    }
    assert.throws(() => link('not a url', 'x'));
  });
});
