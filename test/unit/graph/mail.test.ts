// shared/graph/mail.ts against the fake Graph over HTTPS (test/fakes/graph.ts), which checks every request against
// Microsoft's v1.0 schema (../shared/contracts/graph/check.mjs) and enforces the mail permissions Graph documents.
// Each test names the request the function must send and what the caller gets back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import { createGraph, GraphRequestError, type Graph } from '../../../shared/graph/client.js';
import {
  getFileAttachment,
  getMailFolder,
  getMessage,
  listAttachments,
  mailFolderMessagesResource,
  markMessageRead,
  messagesDelta,
  moveMessage,
  sendMail,
} from '../../../shared/graph/mail.js';
import { FakeGraph } from '../../fakes/graph.js';

const scopes = 'Mail.Read Mail.ReadWrite Mail.Send Mail.Send.Shared Mail.Read.Shared Mail.ReadWrite.Shared User.Read';

describe('graph/mail', () => {
  const fake = new FakeGraph({ enforceScopes: true });
  const owner = fake.addUser({ displayName: 'Help Desk', mail: 'help@contoso.com' });
  const other = fake.addUser({ displayName: 'Other Person', mail: 'other@contoso.com' });
  const since = new Date(Date.now() - 60_000).toISOString();
  let graph: Graph;
  let close: () => Promise<void>;

  before(async () => {
    const started = await fake.start();
    close = started.close;
    graph = createGraph({ baseUrl: started.baseUrl, getAccessToken: async () => fake.delegatedToken(owner, scopes), maxRetries: 0 });
  });
  after(async () => {
    fake.assertNoViolations();
    await close();
  });

  it('sendMail posts the message as given to /me/sendMail, saving to Sent Items, and answers the Graph request id', async () => {
    const message = { subject: 'Hello', body: { contentType: 'html' as const, content: '<p>Hi</p>' }, toRecipients: [{ emailAddress: { address: 'x@example.com' } }] };
    const sent = await sendMail(graph, 'me', message);
    const request = fake.requestsTo('POST', '/me/sendMail').at(-1)!;
    assert.deepEqual(request.body, { message, saveToSentItems: true });
    assert.equal(sent.requestId, request.requestId);
    assert.equal(fake.outbox.at(-1)!.mailboxUserId, owner.id);
  });

  it('sendMail for another mailbox calls that mailbox\'s sendMail, which Graph refuses without Send As', async () => {
    const message = { subject: 'As other', toRecipients: [{ emailAddress: { address: 'x@example.com' } }] };
    await assert.rejects(sendMail(graph, other.mail!, message), (e: unknown) => e instanceof GraphRequestError && e.status === 403 && e.code === 'ErrorSendAsDenied');
    fake.allowSendAs(owner.id, other.mail!);
    await sendMail(graph, other.mail!, message, false);
    const request = fake.requestsTo('POST', `/users/${other.mail}/sendMail`).at(-1)!;
    assert.deepEqual(request.body, { message, saveToSentItems: false });
    assert.equal(fake.outbox.at(-1)!.mailboxUserId, other.id);
  });

  it('getMailFolder reads a well-known folder with the properties asked for', async () => {
    fake.mailIn.deliver(owner, { subject: 'one', from: { address: 'a@example.com' } });
    const folder = await getMailFolder(graph, 'me', 'inbox', ['displayName', 'totalItemCount', 'unreadItemCount']);
    assert.equal(folder.displayName, 'Inbox');
    assert.ok((folder.totalItemCount ?? 0) >= 1);
    assert.equal(fake.requestsTo('GET', '/me/mailFolders/inbox').at(-1)!.query.$select, 'displayName,totalItemCount,unreadItemCount');
  });

  it('getMailFolder of a mailbox the account has no access to is refused 403 ErrorAccessDenied', async () => {
    await assert.rejects(getMailFolder(graph, other.mail!, 'inbox', ['displayName']), (e: unknown) => e instanceof GraphRequestError && e.status === 403 && e.code === 'ErrorAccessDenied');
  });

  it('messagesDelta starts with the filter and select, pages by nextLink, ends with a deltaLink that later answers only new mail', async () => {
    const box = fake.addUser({ displayName: 'Delta Box', mail: 'delta@contoso.com' });
    const boxGraph = createGraph({ baseUrl: fake.baseUrl, getAccessToken: async () => fake.delegatedToken(box, scopes), maxRetries: 0 });
    for (let i = 0; i < 30; i++) fake.mailIn.deliver(box, { subject: `m${i}`, from: { address: 'a@example.com' } });
    const seen: string[] = [];
    let page = await messagesDelta(boxGraph, { mailbox: 'me', folder: 'inbox', select: 'internetMessageId,subject', receivedSince: since });
    const first = fake.requestsTo('GET', '/me/mailFolders/inbox/messages/delta').at(-1)!;
    assert.equal(first.query.$select, 'internetMessageId,subject');
    assert.equal(first.query.$filter, `receivedDateTime ge ${since}`);
    assert.match(first.headers.prefer ?? '', /odata\.maxpagesize=25/);
    assert.match(first.headers.prefer ?? '', /IdType="ImmutableId"/);
    seen.push(...page.value.map((m) => m.subject!));
    assert.ok(page.nextLink, 'a 30-message folder takes two pages of 25');
    page = await messagesDelta(boxGraph, page.nextLink!);
    seen.push(...page.value.map((m) => m.subject!));
    assert.equal(seen.length, 30);
    assert.ok(page.deltaLink);
    fake.mailIn.deliver(box, { subject: 'later', from: { address: 'a@example.com' } });
    const next = await messagesDelta(boxGraph, page.deltaLink!);
    assert.deepEqual(next.value.map((m) => m.subject), ['later']);
  });

  it('a paging link outside the configured Graph endpoint is not followed: no request leaves with the token', async () => {
    const before = fake.requests.length;
    await assert.rejects(
      messagesDelta(graph, 'https://graph.example.net/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=x'),
      (e: unknown) => e instanceof PermanentError && e.code === 'graph_link_outside_endpoint',
    );
    assert.equal(fake.requests.length, before);
  });

  it('getMessage asks for the immutable id and the selected properties, headers included', async () => {
    const delivered = fake.mailIn.deliver(owner, { subject: 'with headers', from: { address: 'a@example.com' }, headers: [{ name: 'Auto-Submitted', value: 'auto-replied' }] });
    const message = await getMessage(graph, 'me', delivered.immutableId, 'subject,internetMessageHeaders');
    assert.equal(message.id, delivered.immutableId);
    assert.equal(message.subject, 'with headers');
    assert.deepEqual(message.internetMessageHeaders, [{ name: 'Auto-Submitted', value: 'auto-replied' }]);
  });

  it('listAttachments lists without contents; getFileAttachment brings the bytes', async () => {
    const delivered = fake.mailIn.deliver(owner, {
      subject: 'files',
      from: { address: 'a@example.com' },
      attachments: [{ name: 'a.txt', contentType: 'text/plain', content: Buffer.from('hello') }],
    });
    const list = await listAttachments(graph, 'me', delivered.immutableId);
    assert.equal(list.length, 1);
    assert.equal(list[0]!['@odata.type'], '#microsoft.graph.fileAttachment');
    assert.equal(list[0]!.name, 'a.txt');
    assert.equal(list[0]!.size, 5);
    assert.equal(fake.requestsTo('GET', `/me/messages/${delivered.immutableId}/attachments`).at(-1)!.query.$select, 'id,name,contentType,size,isInline');
    const file = await getFileAttachment(graph, 'me', delivered.immutableId, list[0]!.id!);
    assert.equal(Buffer.from(file.contentBytes!, 'base64').toString(), 'hello');
  });

  it('markMessageRead sets isRead; moveMessage moves it and keeps the immutable id', async () => {
    const delivered = fake.mailIn.deliver(owner, { subject: 'handled', from: { address: 'a@example.com' } });
    await markMessageRead(graph, 'me', delivered.immutableId);
    assert.equal(delivered.isRead, true);
    assert.deepEqual(fake.requestsTo('PATCH', `/me/messages/${delivered.immutableId}`).at(-1)!.body, { isRead: true });
    await moveMessage(graph, 'me', delivered.immutableId, 'archive');
    assert.equal(delivered.folderId, fake.mailIn.folder(owner, 'archive')!.id);
    assert.deepEqual(fake.requestsTo('POST', `/me/messages/${delivered.immutableId}/move`).at(-1)!.body, { destinationId: 'archive' });
    assert.equal((await getMessage(graph, 'me', delivered.immutableId, 'subject')).subject, 'handled');
  });

  it('mailFolderMessagesResource is the resource form of the Outlook notification docs', () => {
    assert.equal(mailFolderMessagesResource('me', 'inbox'), "/me/mailFolders('inbox')/messages");
    assert.equal(mailFolderMessagesResource('desk@contoso.com', 'inbox'), "/users/desk%40contoso.com/mailFolders('inbox')/messages");
  });
});
