import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, pageHeaders, pageOutcome, renderPage } from '../../../shared/identity/pages.js';

describe('callback pages', () => {
  it('escape every value they echo', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderPage({
      status: 400,
      title: 'T <b>',
      paragraphs: ['tenant "><img src=x onerror=alert(1)>'],
      links: [{ href: 'javascript:"x"', text: '<i>' }],
    });
    assert.ok(!/<img|<b>|<i>/.test(html));
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /<meta name="robots" content="noindex">/);
  });

  it('become the HTTP answer in one place: the page status, the rendered HTML, the page headers', () => {
    const page = { status: 410, title: 'Gone', paragraphs: ['This link has been used.'] };
    assert.deepEqual(pageOutcome(page), { status: 410, body: renderPage(page), headers: { ...pageHeaders } });
  });
});
