// Stakeholder updates end to end: chat post, sendMail (escaped HTML, never twice), internal comment; fake Graph
// (schema-checked) and fake Jira, real tables on Azurite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PermanentError, ThrottledError } from '../../shared/errors.js';
import { adfToText } from '../fakes/jira.js';
import { ensureChatForIssue } from '../../shared/workflows/createChat.js';
import { stakeholderUpdateJob } from '../../shared/workflows/stakeholderUpdate.js';
import { startHarness, type Harness } from './meetingsHarness.js';

describe('stakeholder updates', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  async function setUp(key: string, settings: Record<string, unknown> = {}, withChat = true) {
    const agent = h.person(`Agent ${key}`, `agent.${key.toLowerCase()}@contoso.example`);
    h.jira.addJsmIssue({ key, summary: 'Payments <script>alert(1)</script> & co', assignee: agent.jira });
    await h.configure(key.split('-')[0]!, { stakeholders: ['cio@contoso.example', 'Ops@Contoso.example'], ...settings });
    const chat = withChat ? await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: key, kind: 'incident', jobId: `setup-${key}` }) : undefined;
    return { chatId: chat?.chatId };
  }

  const mailsFor = (key: string) => h.graph.outbox.filter((m) => String(m.message.subject).includes(key));
  // Chat creation adds its own note about unmapped people; these are the update's records.
  const comments = (key: string) =>
    h.jira.issue(key)!.comments.filter((c) => !c.jsdPublic).map((c) => (typeof c.body === 'string' ? c.body : adfToText(c.body)))
      .filter((text) => text.startsWith('Stakeholder update'));
  const updatesInChat = (chatId: string) => h.graph.chats.get(chatId)!.messages.filter((m) => m.body.content.includes('Stakeholder update'));

  it('posts to the chat, mails stakeholders and request recipients with escaped HTML, and records it on the issue', async () => {
    const { chatId } = await setUp('UPD-1');
    const job = h.job('stakeholder-update', 'UPD-1', { message: 'Status for {key}: <b>degraded</b> & recovering', recipients: ['ops@contoso.example', 'vp@contoso.example'] });
    const result = await stakeholderUpdateJob(job, h.context(), h.deps);
    assert.equal(result.outcome, 'done');

    const mails = mailsFor('UPD-1');
    assert.equal(mails.length, 1);
    const mail = mails[0]!;
    assert.equal(mail.mailboxUserId, h.serviceUser.id, 'sent by the mail service user');
    assert.deepEqual(
      (mail.message.toRecipients as Array<{ emailAddress: { address: string } }>).map((r) => r.emailAddress.address),
      ['cio@contoso.example', 'Ops@Contoso.example', 'vp@contoso.example'],
      'stakeholders plus request recipients, without case-insensitive duplicates',
    );
    const body = (mail.message.body as { contentType: string; content: string });
    assert.equal(body.contentType, 'html');
    assert.match(body.content, /Status for UPD-1: &lt;b&gt;degraded&lt;\/b&gt; &amp; recovering/);
    assert.match(body.content, /Payments &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; co/);
    assert.doesNotMatch(body.content, /<script>|<b>degraded/);
    assert.ok((mail.message.internetMessageHeaders as Array<{ name: string; value: string }>).some((x) => x.name === 'x-jira-m365-job' && x.value === job.jobId));

    assert.equal(updatesInChat(chatId!).length, 1);
    assert.match(updatesInChat(chatId!)[0]!.body.content, /&lt;b&gt;degraded/);
    const notes = comments('UPD-1');
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /cio@contoso\.example, Ops@Contoso\.example, vp@contoso\.example/);
    assert.match(notes[0]!, /Teams chat: posted/);
    assert.match(notes[0]!, /Status for UPD-1: <b>degraded<\/b> & recovering/, 'the comment quotes the message as plain text');

    // The queue delivers the same job again: nothing is repeated.
    const again = await stakeholderUpdateJob(job, h.context(), h.deps);
    assert.match(again.detail!, /already sent/);
    assert.equal(mailsFor('UPD-1').length, 1);
    assert.equal(updatesInChat(chatId!).length, 1);
    assert.equal(comments('UPD-1').length, 1);
  });

  it('does not re-send when the connection drops after Graph accepted the mail', async () => {
    await setUp('UPD-2');
    const job = h.job('stakeholder-update', 'UPD-2', { message: 'Update' });
    h.graph.dropConnectionAfter({ method: 'POST', pathPattern: '/me/sendMail' });
    await assert.rejects(stakeholderUpdateJob(job, h.context(), h.deps));
    assert.equal(mailsFor('UPD-2').length, 1, 'Graph did send it');
    const retry = await stakeholderUpdateJob(job, h.context(), h.deps);
    assert.match(retry.detail!, /outcome unknown, not re-sent/);
    assert.equal(mailsFor('UPD-2').length, 1, 'the retry errs on the side of not sending twice');
    assert.match(comments('UPD-2')[0]!, /outcome unknown/);
  });

  it('a second worker on the same job waits instead of sending while the first is sending', async () => {
    await setUp('UPD-3', {}, false);
    const job = h.job('stakeholder-update', 'UPD-3', { message: 'Concurrent' });
    h.graph.delay(400, { method: 'POST', pathPattern: '/me/sendMail' });
    try {
      const results = await Promise.allSettled([stakeholderUpdateJob(job, h.context(), h.deps), stakeholderUpdateJob(job, h.context(), h.deps)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(rejected.reason instanceof ThrottledError, `the loser goes back to the queue: ${rejected.reason}`);
    } finally {
      h.graph.delay(0);
    }
    assert.equal(mailsFor('UPD-3').length, 1);
  });

  it('explains ErrorSendAsDenied for a shared mailbox, and sends once the right is granted', async () => {
    await setUp('UPD-4', { stakeholderMailFrom: 'servicedesk@contoso.example' }, false);
    h.graph.addUser({ displayName: 'Service Desk', mail: 'servicedesk@contoso.example', mailboxSettings: { userPurpose: 'shared' } });
    const job = h.job('stakeholder-update', 'UPD-4', { message: 'Shared mailbox update' });
    await assert.rejects(stakeholderUpdateJob(job, h.context(), h.deps), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'mail_send_as_denied');
      assert.match(e.message, /Send as/);
      assert.match(e.message, /Add-RecipientPermission -Identity "servicedesk@contoso\.example" -Trustee "bridge\.service@contoso\.example"/);
      return true;
    });
    assert.equal(mailsFor('UPD-4').length, 0);
    assert.match(comments('UPD-4')[0]!, /NOT sent/);

    h.graph.allowSendAs(h.serviceUser.id, 'servicedesk@contoso.example');
    const replay = await stakeholderUpdateJob(job, h.context(), h.deps);
    assert.equal(replay.outcome, 'done');
    const mail = mailsFor('UPD-4');
    assert.equal(mail.length, 1);
    assert.equal(mail[0]!.from, 'servicedesk@contoso.example');
    assert.equal(comments('UPD-4').length, 2, 'the failure and the later success are both on record');
    assert.match(comments('UPD-4')[1]!, /from servicedesk@contoso\.example/);
  });

  it('app-only mail is sent from the shared mailbox path', async () => {
    await setUp('UPD-5', { stakeholderMailFrom: 'news@contoso.example' }, false);
    h.graph.addUser({ displayName: 'News', mail: 'news@contoso.example', mailboxSettings: { userPurpose: 'shared' } });
    h.modes.mail = 'app';
    try {
      await stakeholderUpdateJob(h.job('stakeholder-update', 'UPD-5', { message: 'App-only' }), h.context(), h.deps);
    } finally {
      delete h.modes.mail;
    }
    assert.equal(h.graph.count('POST', '/users/news@contoso.example/sendMail'), 1);
    const mail = mailsFor('UPD-5')[0]!;
    assert.equal(mail.callerUserId, undefined);
    assert.equal(mail.from, undefined, 'the mailbox in the path is the sender');
  });

  it('rejects a rule without a message, naming the field', async () => {
    await setUp('UPD-6', {}, false);
    await assert.rejects(stakeholderUpdateJob(h.job('stakeholder-update', 'UPD-6', {}), h.context(), h.deps), (e: unknown) => e instanceof PermanentError && e.code === 'params_invalid' && /message/.test(e.message));
  });
});
