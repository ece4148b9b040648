// What a received mail is (skip reasons from headers) and how its body becomes text for Jira.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyText, htmlToText, issueKeyInSubject, maxBodyChars, skipReason, trimQuoted } from '../../../shared/mailIn/content.js';
import { parseFeature } from '../../../shared/identity/consent.js';
import { featureGraphScopes, featureScopes } from '../../../shared/identity/features.js';

const opts = { blockedDomains: ['spam.example'], ownAddresses: ['support@contoso.example'] };

describe('mail-in skip reasons', () => {
  it('passes an ordinary mail', () => {
    assert.equal(skipReason([{ name: 'Received', value: 'from x' }], 'pat@customer.example', 'Printer broken', opts), undefined);
    assert.equal(skipReason([{ name: 'Auto-Submitted', value: 'no' }], 'pat@customer.example', 'Printer broken', opts), undefined, 'RFC 3834: "no" is a human');
  });

  it('names auto-replies, bulk, own mail, blocked domains and a missing sender', () => {
    assert.equal(skipReason([{ name: 'auto-submitted', value: 'auto-replied' }], 'a@b.example', 'x', opts), 'auto-reply');
    assert.equal(skipReason([{ name: 'X-Auto-Response-Suppress', value: 'All' }], 'a@b.example', 'x', opts), 'auto-reply');
    assert.equal(skipReason([], 'a@b.example', 'Automatic reply: Printer broken', opts), 'auto-reply');
    assert.equal(skipReason([{ name: 'Precedence', value: 'Bulk' }], 'a@b.example', 'x', opts), 'bulk');
    assert.equal(skipReason([{ name: 'Precedence', value: 'list' }], 'a@b.example', 'x', opts), 'bulk');
    assert.equal(skipReason([{ name: 'x-jira-m365-job', value: 'j' }], 'a@b.example', 'x', opts), 'own-mail');
    assert.equal(skipReason([], 'SUPPORT@contoso.example', 'x', opts), 'own-mail');
    assert.equal(skipReason([], 'x@spam.example', 'x', opts), 'blocked-domain');
    assert.equal(skipReason([], 'x@mail.spam.example', 'x', opts), 'blocked-domain');
    assert.equal(skipReason([], 'x@notspam.example', 'x', opts), undefined, 'a suffix that is not a subdomain is not blocked');
    assert.equal(skipReason([], undefined, 'x', opts), 'no-sender');
  });
});

describe('mail-in body', () => {
  it('turns HTML into text: scripts, styles and tags gone, entities decoded, blocks on their own lines', () => {
    const text = htmlToText('<html><head><title>t</title><style>p{}</style></head><body><p>A &amp; B &lt;c&gt;</p><script>evil()</script><ul><li>one</li><li>two</li></ul>x&#233;&#x41;</body></html>');
    assert.equal(text, 'A & B <c>\n• one\n• two\nxéA');
  });

  it('trims Outlook and "On … wrote:" quoted history and trailing quotes', () => {
    assert.equal(trimQuoted('New text\n\nFrom: Agent <a@x>\nSent: Monday\nTo: me\nold'), 'New text');
    assert.equal(trimQuoted('New\n-----Original Message-----\nold'), 'New');
    assert.equal(trimQuoted('Thanks\nOn Mon, 1 Dec 2026, Agent wrote:\n> old'), 'Thanks');
    assert.equal(trimQuoted('Keep\n> quoted tail'), 'Keep');
  });

  it('caps the body below Jira\'s field limit', () => {
    const long = bodyText({ contentType: 'text', content: 'a'.repeat(maxBodyChars + 10) });
    assert.ok(long.length < 32_767);
    assert.match(long, /\[… truncated\]$/);
  });

  it('finds this project\'s issue key in a subject and nothing else', () => {
    assert.equal(issueKeyInSubject('RE: [SUP-12] Printer', 'SUP'), 'SUP-12');
    assert.equal(issueKeyInSubject('Re: sup-7 again', 'SUP'), 'SUP-7');
    assert.equal(issueKeyInSubject('Re: OTHER-7', 'SUP'), undefined);
    assert.equal(issueKeyInSubject('Re: XSUP-7', 'SUP'), undefined);
    assert.equal(issueKeyInSubject('Re: SUP-0', 'SUP'), undefined);
  });
});

describe('mail-in feature scopes', () => {
  it('asks for reading only as required; writing and shared mailboxes are optional capabilities', () => {
    assert.deepEqual(featureScopes['mail-in'].required, ['Mail.Read']);
    const all = featureGraphScopes('mail-in');
    for (const s of ['User.Read', 'MailboxSettings.Read', 'Mail.Read', 'Mail.ReadWrite', 'Mail.Read.Shared', 'Mail.ReadWrite.Shared']) assert.ok(all.includes(s), s);
    assert.ok(!all.includes('Mail.Send'), 'reading mail never asks to send it');
  });

  it('consent and sign-in links accept feature=mail-in, and a bad feature names it among the choices', () => {
    assert.deepEqual(parseFeature('mail-in'), { ok: true, feature: 'mail-in' });
    const bad = parseFeature('mailin');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.message, /chat-to-jira, mail-in$/);
  });
});
