import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import { getGraphToken } from '../../../shared/identity/tokens.js';
import { writeServiceUser } from '../../../shared/storage/serviceUsers.js';
import { commentText, stakeholderUpdateJob } from '../../../shared/workflows/stakeholderUpdate.js';
import { issueWithChat } from '../../support/chatLinkSeed.js';
import { jiraIssue, memoryWorkflow, type MemoryWorkflow } from '../../support/memoryWorkflow.js';

describe('stakeholder update record', () => {
  it('says who was told what, including what did not happen', () => {
    const sent = commentText('All good', { status: 'sent', from: 'desk@x.example', to: ['a@x.example', 'b@x.example'] }, { status: 'ran', value: 'm1' });
    assert.match(sent, /^Stakeholder update/);
    assert.match(sent, /Mail: from desk@x\.example to a@x\.example, b@x\.example, accepted by Microsoft 365/);
    assert.match(sent, /Teams chat: posted/);
    assert.match(sent, /Message:\nAll good$/);

    const failed = commentText('x', { status: 'failed', from: 'desk@x.example', to: ['a@x.example'], error: new PermanentError('no Send As', 'mail_send_as_denied') }, undefined);
    assert.match(failed, /Mail: NOT sent to a@x\.example: no Send As/);
    assert.match(failed, /Teams chat: no chat for the issue/);

    const unknown = commentText('x', { status: 'unknown', from: 'd', to: ['a@x.example'], note: 'lost connection' }, { status: 'unknown', note: 'n' });
    assert.match(unknown, /outcome unknown, not re-sent to avoid a duplicate \(lost connection\)/);
    assert.match(unknown, /Teams chat: outcome unknown, not re-posted/);
    assert.match(commentText('x', { status: 'none' }, undefined), /no stakeholders or recipients/);
  });
});

// stakeholderUpdateJob (shared/workflows/stakeholderUpdate.ts) against the typed in-memory Graph: the chat part and
// the mail part each happen once per job however often its message is delivered, the recipients are the project's
// stakeholders plus the request's, each once; a mail the tenant has not consented to fails the job after the chat
// message (docs/jira-automation.md), and a refused send is recorded on the issue.
async function withMailServiceUser(w: MemoryWorkflow): Promise<void> {
  const now = w.clock.now().toISOString();
  await writeServiceUser(w.deps.tables, {
    tenantId: w.tenantId,
    feature: 'mail',
    objectId: w.serviceUser.id,
    userPrincipalName: w.serviceUser.userPrincipalName,
    homeAccountId: `${w.serviceUser.id}.${w.tenantId}`,
    cacheSecretName: 'msal-cache-service',
    status: 'active',
    grantedScopes: ['Mail.Send'],
    degraded: [],
    signedInAt: now,
    lastRefreshAt: now,
    updatedAt: now,
  });
}

describe('stakeholder-update workflow (in-memory Graph)', () => {
  it('posts to the chat and mails the stakeholders once per job, recipients deduplicated, Jira text escaped, and records it on the issue', async () => {
    const w = memoryWorkflow();
    await withMailServiceUser(w);
    w.setProject({ stakeholders: ['Boss@partner.example', 'ops@partner.example'] });
    const chat = await issueWithChat(w, jiraIssue({ key: 'INC-51', summary: 'Payments <down>', status: 'Open' }));
    const job = w.job('stakeholder-update', 'INC-51', { message: 'Fix for {key} is <b>rolling</b> out', recipients: ['boss@partner.example', 'cto@partner.example'] });

    const first = await stakeholderUpdateJob(job, w.context(), w.deps);
    const redelivered = await stakeholderUpdateJob(job, w.context(), w.deps);

    assert.equal(chat.messages.length, 1, 'the chat part once per job');
    const chatHtml = chat.messages[0]!.body!.content!;
    assert.match(chatHtml, /Fix for INC-51 is &lt;b&gt;rolling&lt;\/b&gt; out/);

    assert.equal(w.graph.outbox.length, 1, 'the mail part once per job');
    const sent = w.graph.outbox[0]!;
    assert.equal(sent.mailboxUserId, w.serviceUser.id);
    assert.deepEqual(
      sent.message.toRecipients?.map((r) => r.emailAddress?.address),
      ['Boss@partner.example', 'ops@partner.example', 'cto@partner.example'],
      'each recipient once, first spelling kept',
    );
    assert.equal(sent.message.subject, '[INC-51] Update: Payments <down>', 'a mail subject is plain text');
    assert.match(sent.message.body!.content!, /Payments &lt;down&gt;/);
    assert.match(sent.message.body!.content!, /is &lt;b&gt;rolling&lt;\/b&gt; out/);

    assert.equal(w.jira.comments.length, 1, 'one record on the issue');
    assert.match(w.jira.comments[0]!.text, /Mail: from .* to Boss@partner\.example, ops@partner\.example, cto@partner\.example, accepted by Microsoft 365/);
    assert.match(w.jira.comments[0]!.text, /Teams chat: posted/);
    assert.equal(first.outcome, 'done');
    assert.match(redelivered.detail ?? '', /chat: already posted; mail: already sent/);
    w.graph.assertNoViolations();
  });

  it('without the mail feature consented, the job fails with the consent link after the chat message', async () => {
    const w = memoryWorkflow();
    w.setProject({ stakeholders: ['boss@partner.example'] });
    const chat = await issueWithChat(w, jiraIssue({ key: 'INC-52' }));
    // The real token lookup for the mail feature: this tenant never consented to it.
    const chatsSession = w.deps.graphFor;
    w.deps.graphFor = async (tenantId, feature, options) => {
      if (feature !== 'mail') return chatsSession(tenantId, feature, options);
      await getGraphToken(w.deps, { tenantId, feature, allowAppOnly: options?.allowAppOnly });
      throw new Error('unreachable: the mail feature is not consented');
    };
    const job = w.job('stakeholder-update', 'INC-52', { message: 'Status update' });

    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(stakeholderUpdateJob(job, w.context(), w.deps), (e: unknown) => {
        assert.ok(e instanceof PermanentError);
        assert.equal(e.code, 'not_consented');
        assert.ok(e.message.includes(`/api/consent/start?tenant=${w.tenantId}&feature=mail`), e.message);
        return true;
      });
    }
    assert.equal(chat.messages.length, 1, 'the chat message went out first, and once');
    assert.equal(w.graph.outbox.length, 0);
    w.graph.assertNoViolations();
  });

  it('a send Graph refuses fails the job with what to fix, and the issue records that the mail was NOT sent', async () => {
    const w = memoryWorkflow();
    await withMailServiceUser(w);
    w.setProject({ stakeholders: ['boss@partner.example'], stakeholderMailFrom: 'desk@contoso.example' });
    const chat = await issueWithChat(w, jiraIssue({ key: 'INC-53' }));

    await assert.rejects(stakeholderUpdateJob(w.job('stakeholder-update', 'INC-53', { message: 'Update' }), w.context(), w.deps), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'mail_send_as_denied', 'sending as a shared mailbox without Send As');
      assert.match(e.message, /Add-RecipientPermission -Identity "desk@contoso\.example"/);
      return true;
    });
    assert.equal(chat.messages.length, 1);
    assert.equal(w.graph.outbox.length, 0);
    assert.equal(w.jira.comments.length, 1);
    assert.match(w.jira.comments[0]!.text, /Mail: NOT sent to boss@partner\.example/);

    // Once Exchange grants Send As, a new run of the update sends from the shared mailbox.
    w.graph.sendAsGrants.add(`${w.serviceUser.id}|desk@contoso.example`);
    await stakeholderUpdateJob(w.job('stakeholder-update', 'INC-53', { message: 'Update' }), w.context(), w.deps);
    assert.equal(w.graph.outbox[0]?.message.from?.emailAddress?.address, 'desk@contoso.example');
    w.graph.assertNoViolations();
  });

  it('with no chat and nobody to mail, only the comment is added and the job says so', async () => {
    const w = memoryWorkflow();
    w.jira.issues.set('INC-54', jiraIssue({ key: 'INC-54' }));

    const result = await stakeholderUpdateJob(w.job('stakeholder-update', 'INC-54', { message: 'x' }), w.context(), w.deps);

    assert.equal(result.outcome, 'ignored');
    assert.match(result.detail ?? '', /no chat and the project has no stakeholders or recipients/);
    assert.equal(w.jira.comments.length, 1);
    assert.equal(w.graph.made().length, 0);
  });
});
