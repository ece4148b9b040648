import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import type { JiraIssue } from '../../../shared/jira/issue.js';
import { explainMailError, toMailError } from '../../../shared/mail/errors.js';
import { graphMessage, uniqueAddresses } from '../../../shared/mail/send.js';
import { stakeholderChatHtml, stakeholderMail } from '../../../shared/mail/stakeholderMail.js';
import { issueKeyInReferences } from '../../../shared/mailIn/content.js';

const issue: JiraIssue = {
  id: '10001',
  key: 'INC-7',
  projectKey: 'INC',
  summary: '"><img src=x onerror=alert(1)> & <b>',
  description: '',
  issueType: 'Incident',
  priority: 'High <p1>',
  status: 'In "progress"',
  labels: [],
  assignee: { accountId: 'a', displayName: "O'Brien <ops>" },
  requestParticipants: [],
  responders: [],
};

describe('stakeholder mail', () => {
  const mail = stakeholderMail({ issue, jiraBaseUrl: 'https://acme.atlassian.net', message: 'Line 1 <i>x</i>\nLine 2 & {key}', recipients: ['a@x.example'], jobId: 'job-1' });

  it('escapes every Jira string in the HTML body', () => {
    assert.match(mail.html, /&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt; &amp; &lt;b&gt;/);
    assert.match(mail.html, /High &lt;p1&gt;/);
    assert.match(mail.html, /In &quot;progress&quot;/);
    assert.match(mail.html, /O&#39;Brien &lt;ops&gt;/);
    assert.match(mail.html, /Line 1 &lt;i&gt;x&lt;\/i&gt;<br>Line 2 &amp; \{key\}/, 'the message is escaped; templates are rendered by the workflow, not here');
    assert.doesNotMatch(mail.html, /<img|<i>|&amp; <b>/);
    assert.match(mail.html, /<a href="https:\/\/acme\.atlassian\.net\/browse\/INC-7">INC-7<\/a>/);
  });

  it('makes a one-line subject from the template and tags the message for message trace', () => {
    const withNewline = stakeholderMail({ issue: { ...issue, summary: 'Down\r\nBcc: evil@x.example' }, jiraBaseUrl: 'https://acme.atlassian.net', message: 'm', recipients: ['a@x.example'], jobId: 'j' });
    assert.equal(withNewline.subject, '[INC-7] Update: Down Bcc: evil@x.example');
    assert.deepEqual(mail.headers, { 'x-jira-issue': 'INC-7', 'x-jira-m365-job': 'job-1' });
    const message = graphMessage(mail, 'desk@x.example');
    assert.deepEqual(message.from, { emailAddress: { address: 'desk@x.example' } });
    assert.deepEqual(message.body.contentType, 'html');
    assert.deepEqual(message.internetMessageHeaders, [
      { name: 'x-jira-issue', value: 'INC-7' },
      { name: 'x-jira-m365-job', value: 'job-1' },
    ]);
    assert.equal('from' in graphMessage(mail), false);
  });

  it('sends with a Message-ID that mail → Jira recognises in a reply, for this issue only', () => {
    const message = graphMessage(mail);
    assert.match(message.internetMessageId ?? '', /^<jira-m365\.INC-7\.[0-9a-f]{24}@acme\.atlassian\.net>$/);
    assert.notEqual(stakeholderMail({ issue, jiraBaseUrl: 'https://acme.atlassian.net', message: 'm', recipients: ['a@x.example'], jobId: 'job-2' }).internetMessageId, mail.internetMessageId, 'one id per send');
    assert.equal(issueKeyInReferences([{ name: 'In-Reply-To', value: mail.internetMessageId! }], 'INC'), 'INC-7');
    assert.equal(issueKeyInReferences([{ name: 'references', value: `<a@b.example> ${mail.internetMessageId!}` }], 'INC'), 'INC-7');
    assert.equal(issueKeyInReferences([{ name: 'In-Reply-To', value: mail.internetMessageId! }], 'OPS'), undefined, 'another project');
    assert.equal(issueKeyInReferences([{ name: 'In-Reply-To', value: '<jira-m365.INC-7.zz@evil.example>' }], 'INC'), undefined, 'not the bridge\'s form');
  });

  it('escapes the chat version too', () => {
    assert.match(stakeholderChatHtml({ issue, jiraBaseUrl: 'https://acme.atlassian.net', message: '<script>' }), /&lt;script&gt;/);
  });

  it('de-duplicates addresses case-insensitively, keeping the first spelling', () => {
    assert.deepEqual(uniqueAddresses(['A@x.example', ' b@x.example '], ['a@X.example', 'c@x.example'], undefined), ['A@x.example', 'b@x.example', 'c@x.example']);
  });
});

describe('mail errors', () => {
  const ctx = { caller: 'svc@x.example', from: 'desk@x.example', kind: 'delegated' as const };
  const graphError = (status: number, code: string) => new GraphRequestError(status, code, 'm', 'POST', '/me/sendMail', 'req-1');

  it('turns ErrorSendAsDenied into the Exchange steps to fix it', () => {
    const e = toMailError(graphError(403, 'ErrorSendAsDenied'), ctx);
    assert.ok(e instanceof PermanentError);
    assert.equal(e.code, 'mail_send_as_denied');
    assert.match(e.message, /Add-RecipientPermission -Identity "desk@x\.example" -Trustee "svc@x\.example" -AccessRights SendAs/);
    assert.equal(e.details.requestId, 'req-1');
  });

  it('explains missing mailboxes, blocked senders and missing permissions; leaves 5xx to the retry', () => {
    assert.equal(explainMailError(graphError(404, 'MailboxNotEnabledForRESTAPI'), ctx)?.code, 'mail_mailbox_missing');
    assert.equal(explainMailError(graphError(403, 'ErrorMessageSubmissionBlocked'), ctx)?.code, 'mail_sender_blocked');
    assert.match(explainMailError(graphError(403, 'ErrorAccessDenied'), ctx)!.message, /Mail\.Send/);
    assert.match(explainMailError(graphError(403, 'ErrorAccessDenied'), { ...ctx, kind: 'app' })!.message, /application access policy/);
    assert.equal(explainMailError(graphError(503, 'serviceNotAvailable'), ctx), undefined);
    const network = new TypeError('fetch failed');
    assert.equal(toMailError(network, ctx), network);
  });
});
