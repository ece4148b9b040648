// Mail → Jira (feature mail-in): a mail source per site + project, test connection, the delta catch-up, exactly-once
// handling, mail → issue / comment, loop and spam guards, attachments, and parking while the account needs
// re-authentication. Real tables and queues on Azurite, the fake Graph (every request schema-checked) and the fake
// Jira over HTTP(S).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { adminAudit } from '../../shared/admin/admin.js';
import type { AdminRequest } from '../../shared/admin/request.js';
import { NeedsReauthError } from '../../shared/errors.js';
import { createGraph } from '../../shared/graph/client.js';
import { resumeParkedJobs } from '../../shared/identity/tokens.js';
import { listAudit } from '../../shared/jobs/audit.js';
import { adminMailIn } from '../../shared/mailIn/admin.js';
import { pollMessage, runMailInJob } from '../../shared/mailIn/ingest.js';
import { pruneMailInRecords } from '../../shared/mailIn/retention.js';
import { deleteMailSource, getMailSource } from '../../shared/mailIn/sources.js';
import { bridgeMessageId } from '../../shared/mail/stakeholderMail.js';
import { saveMapping } from '../../shared/people/mapping.js';
import { listParkedJobs } from '../../shared/storage/parkedJobs.js';
import { queueNames } from '../../shared/storage/queues.js';
import { listPartition, tableNames } from '../../shared/storage/tables.js';
import { writeServiceUser } from '../../shared/storage/serviceUsers.js';
import { updateTenant } from '../../shared/storage/tenantConnections.js';
import type { WorkflowDeps } from '../../shared/jobs/deps.js';
import type { FakeUser } from '../fakes/graph.js';
import { makeTestToken } from '../fakes/tokens.js';
import { resetQueues } from '../support/storage.js';
import { startHarness, type Harness } from './meetingsHarness.js';

const scopes = 'User.Read MailboxSettings.Read Mail.Read Mail.ReadWrite Mail.Read.Shared Mail.ReadWrite.Shared';

describe('mail → Jira', () => {
  let h: Harness;
  let deps: WorkflowDeps;
  let inbox: FakeUser;
  let shared: FakeUser;
  let reauth = false;
  let project = 'SUP';

  before(async () => {
    h = await startHarness();
    inbox = h.serviceUser;
    shared = h.graph.addUser({ displayName: 'Support Desk', userPrincipalName: 'support@contoso.example', mailboxSettings: { userPurpose: 'shared' } });
    deps = {
      ...h.deps,
      async graphFor(tenantId, feature) {
        if (reauth) throw new NeedsReauthError('the mail-in account must sign in again (invalid_grant)', tenantId, feature, `/api/auth/service-user/start?tenant=${tenantId}&feature=${feature}`);
        const token = makeTestToken({ tid: tenantId, oid: inbox.id, scp: scopes });
        const client = createGraph({ baseUrl: h.graph.baseUrl, getAccessToken: async () => token });
        return Object.assign(client, { kind: 'delegated' as const, serviceUserObjectId: inbox.id });
      },
    };
    const now = h.clock.now().toISOString();
    await updateTenant(h.deps.tables, h.tenantId, (t) => ({ ...t, consentedFeatures: { ...t.consentedFeatures, 'mail-in': now } }), h.clock.now());
    await writeServiceUser(h.deps.tables, {
      tenantId: h.tenantId,
      feature: 'mail-in',
      objectId: inbox.id,
      userPrincipalName: inbox.userPrincipalName,
      displayName: inbox.displayName,
      homeAccountId: `${inbox.id}.${h.tenantId}`,
      cacheSecretName: 'unused',
      status: 'active',
      grantedScopes: scopes.split(' '),
      degraded: [],
      signedInAt: now,
      lastRefreshAt: now,
      updatedAt: now,
    });
  });
  after(async () => {
    h.graph.assertNoViolations();
    // Sources left in the shared Azurite table would be picked up by another test host's catch-up timer.
    for (let i = 1; i <= n; i++) await deleteMailSource(deps, h.siteId, `SUP${i}`);
    await resetQueues([queueNames.mailIn]);
    await h.close();
  });

  let n = 0;
  beforeEach(async () => {
    // A fresh project (and so a fresh source and claim partition) per test, on the same mailbox.
    project = `SUP${++n}`;
    reauth = false;
  });

  const call = (method: string, action: string | undefined, body?: unknown, projectKey = project) =>
    adminMailIn(deps, { method, params: { siteId: h.siteId, projectKey, action }, query: {}, headers: {}, body } as AdminRequest) as Promise<{ status: number; body: any }>;
  const addSource = async (settings: Record<string, unknown> = {}) => {
    h.clock.advance(1000); // after the mail of earlier tests in the same mailbox
    const r = await call('PUT', undefined, { tenantId: h.tenantId, ...settings });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    h.clock.advance(1000); // mail delivered after the source was added
    return r.body;
  };
  const poll = () => runMailInJob(deps, pollMessage({ siteId: h.siteId, projectKey: project }, 'manual', h.clock.now()), { queue: queueNames.mailIn, dequeueCount: 1 });
  const issuesOf = (key: string) => [...h.jira.issues.values()].filter((i) => i.key.startsWith(`${key}-`));
  const step = (body: { steps: Array<{ step: string; ok: boolean; detail: string }> }, name: string) => body.steps.find((s) => s.step === name)!;

  it('saves a source, reads it back without the delta link, and refuses bad input with 4xx', async () => {
    const saved = await addSource({ blockedDomains: ['spam.example'] });
    assert.equal(saved.mailbox, 'me');
    assert.equal(saved.folder, 'inbox');
    assert.equal(saved.afterProcessing, 'mark-read');
    assert.equal((await call('GET', undefined)).body.caughtUp, false);
    assert.equal((await call('PUT', undefined, { tenantId: 'nope' })).status, 400);
    const move = await call('PUT', undefined, { tenantId: h.tenantId, afterProcessing: 'move' });
    assert.equal(move.status, 400);
    assert.match(move.body.error.message, /moveToFolder/);
    assert.equal((await call('PUT', undefined, { tenantId: h.tenantId, surprise: 1 })).status, 400);
    assert.equal((await call('GET', undefined, undefined, 'bad key')).status, 400);
    assert.equal((await call('GET', undefined, undefined, 'NOSOURCE')).status, 404);
    assert.equal((await call('GET', 'test')).status, 405);
    assert.equal((await call('POST', 'other')).status, 404);
  });

  it('test connection reads the folder of the own mailbox', async () => {
    await addSource();
    h.graph.mailIn.deliver(inbox, { subject: 'hello', from: { address: 'someone@customer.example' } });
    const r = await call('POST', 'test');
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    assert.match(step(r.body, 'folder').detail, /read folder "Inbox" of the mailbox of bridge\.service@contoso\.example/);
  });

  it('test connection explains a shared mailbox without Full Access, then succeeds once it is granted', async () => {
    await addSource({ mailbox: 'support@contoso.example' });
    let r = await call('POST', 'test');
    assert.equal(r.body.ok, false);
    const folder = step(r.body, 'folder');
    assert.match(folder.detail, /has no access to the shared mailbox support@contoso\.example: grant it Full Access/);
    assert.match(folder.detail, /ErrorAccessDenied/);
    // The catch-up fails the same way, and says so on the source instead of failing silently.
    await poll();
    assert.match((await getMailSource(deps, h.siteId, project))!.lastError ?? '', /no access to the shared mailbox/);

    h.graph.mailIn.grantFullAccess(inbox.id, shared);
    r = await call('POST', 'test');
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
  });

  it('test connection explains a mailbox that does not exist in Exchange Online and missing consent', async () => {
    const noMailbox = h.graph.addUser({ displayName: 'No Licence', userPrincipalName: 'nolicence@contoso.example' });
    h.graph.mailIn.removeMailbox(noMailbox);
    h.graph.mailIn.grantFullAccess(inbox.id, noMailbox);
    await addSource({ mailbox: 'nolicence@contoso.example' });
    const r = await call('POST', 'test');
    assert.match(step(r.body, 'folder').detail, /has no Exchange Online mailbox/);

    await updateTenant(h.deps.tables, h.tenantId, (t) => ({ ...t, consentedFeatures: { ...t.consentedFeatures, 'mail-in': undefined } }), h.clock.now());
    try {
      const c = await call('POST', 'test');
      assert.equal(step(c.body, 'consent').ok, false);
      assert.match(step(c.body, 'consent').detail, /no consent for the mail-in feature/);
    } finally {
      await updateTenant(h.deps.tables, h.tenantId, (t) => ({ ...t, consentedFeatures: { ...t.consentedFeatures, 'mail-in': h.clock.now().toISOString() } }), h.clock.now());
    }
  });

  it('turns a new mail into an issue, marks it read, and handles it once even when read again', async () => {
    await addSource();
    const m = h.graph.mailIn.deliver(inbox, {
      subject: 'Printer on floor 3 is broken',
      from: { name: 'Pat Customer', address: 'pat@customer.example' },
      body: '<html><head><style>p{color:red}</style></head><body><p>It prints &lt;nothing&gt;.</p><script>alert(1)</script><p>Thanks</p><div>From: Old Person<br>Sent: Monday<br>older text</div></body></html>',
    });
    const summary = await poll();
    assert.equal(summary?.issues, 1);
    const [issue] = issuesOf(project);
    assert.ok(issue);
    assert.equal(issue.fields.summary, 'Printer on floor 3 is broken');
    const description = JSON.stringify(issue.fields.description);
    assert.match(description, /Mail from Pat Customer <pat@customer\.example>/);
    assert.match(description, /It prints <nothing>\./);
    assert.doesNotMatch(description, /alert|color:red|older text/);
    assert.equal(m.isRead, true);
    assert.ok((await getMailSource(deps, h.siteId, project))!.deltaLink);

    // The same message listed again (the catch-up starts afresh after the folder changed and changed back): not
    // a second issue.
    assert.equal((await call('PUT', undefined, { tenantId: h.tenantId, folder: 'archive' })).status, 200);
    assert.equal((await call('PUT', undefined, { tenantId: h.tenantId, folder: 'inbox' })).status, 200);
    assert.equal((await getMailSource(deps, h.siteId, project))!.deltaLink, undefined);
    const again = await poll();
    assert.equal(again?.seen, 1);
    assert.equal(again?.duplicates, 1);
    assert.equal(issuesOf(project).length, 1);
  });

  it('a second delivery of the same internetMessageId is not a second issue', async () => {
    await addSource();
    const id = '<dup-1@customer.example>';
    h.graph.mailIn.deliver(inbox, { subject: 'Duplicate', from: { address: 'dup@customer.example' }, internetMessageId: id });
    assert.equal((await poll())?.issues, 1);
    h.graph.mailIn.deliver(inbox, { subject: 'Duplicate', from: { address: 'dup@customer.example' }, internetMessageId: id });
    const second = await poll();
    assert.equal(second?.duplicates, 1);
    assert.equal(issuesOf(project).length, 1);
  });

  it('a reply naming an issue becomes a comment: public for the JSM customer, internal for anyone else', async () => {
    await addSource();
    const customer = h.jira.addUser({ displayName: 'Casey Customer', emailAddress: 'casey@customer.example', accountType: 'customer' });
    const jsm = h.jira.addJsmIssue({ key: `${project}-7`, summary: 'VPN down', kind: 'serviceRequest', reporter: customer });
    h.graph.mailIn.deliver(inbox, { subject: `RE: [${project}-7] VPN down`, from: { address: 'casey@customer.example' }, contentType: 'text', body: 'Still down.\n\nOn Mon, Agent wrote:\n> old' });
    h.graph.mailIn.deliver(inbox, { subject: `Re: ${project}-7`, from: { address: 'vendor@partner.example' }, contentType: 'text', body: 'We are on it.' });
    const s = await poll();
    assert.equal(s?.comments, 2, JSON.stringify(s));
    assert.equal(jsm.comments.length, 2);
    const [fromCustomer, fromVendor] = jsm.comments;
    assert.equal(fromCustomer!.jsdPublic, true);
    assert.match(String(fromCustomer!.body), /Still down\./);
    assert.doesNotMatch(String(fromCustomer!.body), /old/);
    assert.equal(fromVendor!.jsdPublic, false);
    assert.equal(issuesOf(project).length, 1, 'no new issue for replies');
  });

  it('refuses a request source without its service desk or request type (400 naming the field)', async () => {
    const noDesk = await call('PUT', undefined, { tenantId: h.tenantId, createAs: 'request', requestTypeId: '11' });
    assert.equal(noDesk.status, 400);
    assert.match(noDesk.body.error.message, /serviceDeskId/);
    const noType = await call('PUT', undefined, { tenantId: h.tenantId, createAs: 'request', serviceDeskId: '2' });
    assert.equal(noType.status, 400);
    assert.match(noType.body.error.message, /requestTypeId/);
    assert.equal((await call('PUT', undefined, { tenantId: h.tenantId, createAs: 'request', serviceDeskId: 'desk', requestTypeId: '11' })).status, 400);
    assert.equal((await call('GET', undefined)).status, 404, 'nothing saved');
  });

  it('raises a JSM request on behalf of a known customer, and of a new customer only when the source allows it', async () => {
    h.jira.addServiceDesk({ id: `9${n}`, projectKey: project, requestTypes: [{ id: '25', name: 'Email request' }] });
    await addSource({ createAs: 'request', serviceDeskId: `9${n}`, requestTypeId: '25' });
    const known = h.jira.addUser({ displayName: 'Kim Known', emailAddress: `kim${n}@customer.example`, accountType: 'customer' });
    h.graph.mailIn.deliver(inbox, { subject: 'Cannot log in', from: { name: 'Kim Known', address: `kim${n}@customer.example` }, contentType: 'text', body: 'Password rejected.' });
    h.graph.mailIn.deliver(inbox, { subject: 'Who am I', from: { name: 'Nora New', address: `nora${n}@newcomer.example` }, contentType: 'text', body: 'First mail.' });
    assert.equal((await poll())?.issues, 2);
    const request = issuesOf(project).find((i) => i.fields.summary === 'Cannot log in')!;
    assert.equal(request.requestType?.id, '25', 'raised through the service desk API');
    assert.equal((request.fields.reporter as { accountId: string }).accountId, known.accountId, 'on behalf of the sender');
    assert.match(JSON.stringify(request.fields.description), /Password rejected\./);
    // No account and no permission to create customers: a plain issue naming the sender, and the audit says why.
    const plain = issuesOf(project).find((i) => i.fields.summary === 'Who am I')!;
    assert.equal(plain.requestType, undefined);
    assert.match(JSON.stringify(plain.fields.description), new RegExp(`Nora New <nora${n}@newcomer\\.example>`));
    assert.equal(h.jira.requestsTo('POST', /^\/rest\/servicedeskapi\/customer$/).length, 0);
    assert.ok((await listAudit(deps, h.siteId, request.key)).some((a) => /new request/.test(a.detail ?? '')));
    const audit = await listAudit(deps, h.siteId, plain.key);
    assert.ok(audit.some((a) => /new issue .*does not allow new customers/.test(a.detail ?? '')), JSON.stringify(audit));

    // Once the source allows new customers, an unknown sender becomes a customer and the request is theirs.
    await addSource({ createAs: 'request', serviceDeskId: `9${n}`, requestTypeId: '25', allowNewCustomers: true });
    h.graph.mailIn.deliver(inbox, { subject: 'Second try', from: { name: 'Olga Other', address: `olga${n}@newcomer.example` }, contentType: 'text', body: 'Hello.' });
    assert.equal((await poll())?.issues, 1);
    const customer = [...h.jira.users.values()].find((u) => u.emailAddress === `olga${n}@newcomer.example`);
    assert.equal(customer?.accountType, 'customer');
    assert.equal(customer?.displayName, 'Olga Other');
    const raised = issuesOf(project).find((i) => i.fields.summary === 'Second try')!;
    assert.equal((raised.fields.reporter as { accountId: string }).accountId, customer!.accountId);
    assert.ok(raised.requestType);
  });

  it('a new mail raising a JSM request adds the Cc recipients with Jira accounts as participants, and their replies are public', async () => {
    h.jira.addServiceDesk({ id: `8${n}`, projectKey: project, requestTypes: [{ id: '26', name: 'Email request' }] });
    await addSource({ createAs: 'request', serviceDeskId: `8${n}`, requestTypeId: '26', blockedDomains: ['blocked.example'] });
    const reporter = h.jira.addUser({ displayName: 'Rita Reporter', emailAddress: `rita${n}@customer.example`, accountType: 'customer' });
    const colleague = h.jira.addUser({ displayName: 'Dana Colleague', emailAddress: `dana${n}@customer.example`, accountType: 'customer' });
    // Each of these has a Jira account too, and is still left out: blocked domain, the bridge's own mailbox, the sender.
    h.jira.addUser({ displayName: 'Blocked Person', emailAddress: `b${n}@blocked.example`, accountType: 'customer' });
    h.jira.addUser({ displayName: 'Bridge Mailbox', emailAddress: inbox.userPrincipalName, accountType: 'atlassian' });
    h.graph.mailIn.deliver(inbox, {
      subject: 'Projector broken in room 4',
      from: { name: 'Rita Reporter', address: `rita${n}@customer.example` },
      cc: [
        { name: 'Dana', address: `Dana${n}@Customer.example` },
        { address: `dana${n}@customer.example` },
        { address: `nobody${n}@customer.example` },
        { address: `b${n}@blocked.example` },
        { address: inbox.userPrincipalName },
        { address: `rita${n}@customer.example` },
      ],
      contentType: 'text',
      body: 'It shows nothing.',
    });
    assert.equal((await poll())?.issues, 1);
    const request = issuesOf(project).find((i) => i.fields.summary === 'Projector broken in room 4')!;
    assert.ok(request.requestType, 'a JSM request');
    assert.equal((request.fields.reporter as { accountId: string }).accountId, reporter.accountId);
    assert.deepEqual(request.participants, [colleague.accountId], 'only the Cc recipient with a Jira account who is not excluded');
    const added = h.jira.requestsTo('POST', new RegExp(`^/rest/servicedeskapi/request/${request.key}/participant$`));
    assert.equal(added.length, 1, 'one call for all participants');
    const audit = await listAudit(deps, h.siteId, request.key);
    assert.ok(audit.some((a) => /1 Cc recipient\(s\) added as participants, 1 without a Jira account not added/.test(a.detail ?? '')), JSON.stringify(audit));
    assert.doesNotMatch(JSON.stringify(audit), /customer\.example/, 'no addresses in the audit');

    // The participant's reply to the request is a public reply (the rule for the customer and request participants).
    h.graph.mailIn.deliver(inbox, { subject: `RE: [${request.key}] Projector broken in room 4`, from: { address: `dana${n}@customer.example` }, contentType: 'text', body: 'Still broken today.' });
    assert.equal((await poll())?.comments, 1);
    const issue = h.jira.issue(request.key)!;
    assert.equal(issue.comments.length, 1);
    assert.equal(issue.comments[0]!.jsdPublic, true);
    assert.match(String(issue.comments[0]!.body), /Still broken today\./);
  });

  it('a Cc recipient Jira refuses as a participant leaves the request raised and says so (the fake Jira is as strict as JSM)', async () => {
    h.jira.addServiceDesk({ id: `7${n}`, projectKey: project, requestTypes: [{ id: '27', name: 'Email request' }] });
    await addSource({ createAs: 'request', serviceDeskId: `7${n}`, requestTypeId: '27' });
    h.jira.addUser({ displayName: 'Rosa', emailAddress: `rosa${n}@customer.example`, accountType: 'customer' });
    const gone = h.jira.addUser({ displayName: 'Gone', emailAddress: `gone${n}@customer.example`, accountType: 'customer' });
    // Mapped by the bridge (so no Jira search), but deactivated in Jira since: JSM answers 400.
    await saveMapping(deps, h.tenantId, { accountId: gone.accountId, entraObjectId: '1f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', mail: `gone${n}@customer.example`, isGuest: false, source: 'manual' });
    gone.active = false;
    h.graph.mailIn.deliver(inbox, { subject: 'Refused participant', from: { address: `rosa${n}@customer.example` }, cc: [{ address: `gone${n}@customer.example` }], contentType: 'text', body: 'x' });
    assert.equal((await poll())?.issues, 1);
    const request = issuesOf(project).find((i) => i.fields.summary === 'Refused participant')!;
    assert.ok(request.requestType);
    assert.deepEqual(request.participants, []);
    const audit = await listAudit(deps, h.siteId, request.key);
    assert.ok(audit.some((a) => a.outcome === 'done' && /1 Cc recipient\(s\) could not be added as participants/.test(a.detail ?? '')), JSON.stringify(audit));
  });

  it('knows a sender Jira hides the e-mail of through the bridge\'s user mappings (public reply, request on their behalf)', async () => {
    // Jira Cloud hides this customer's address (profile visibility), so its user search cannot match it; the
    // bridge's mapping of the same person (Entra mail ↔ accountId) can. The mapped address differs in case.
    const hidden = h.jira.addUser({ displayName: 'Hana Hidden', emailAddress: `hana${n}@contoso.example`, emailVisible: false, accountType: 'customer' });
    await saveMapping(deps, h.tenantId, { accountId: hidden.accountId, entraObjectId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', mail: `Hana${n}@Contoso.example`, isGuest: false, source: 'email' });
    h.jira.addServiceDesk({ id: `8${n}`, projectKey: project, requestTypes: [{ id: '26', name: 'Email request' }] });
    await addSource({ createAs: 'request', serviceDeskId: `8${n}`, requestTypeId: '26' });
    const customersBefore = h.jira.requestsTo('POST', /^\/rest\/servicedeskapi\/customer$/).length;
    const jsm = h.jira.addJsmIssue({ key: `${project}-50`, summary: 'Laptop', kind: 'serviceRequest', reporter: hidden });
    h.graph.mailIn.deliver(inbox, { subject: `RE: ${project}-50 Laptop`, from: { address: `hana${n}@contoso.example` }, contentType: 'text', body: 'Any news?' });
    h.graph.mailIn.deliver(inbox, { subject: 'New monitor please', from: { address: `hana${n}@contoso.example` }, contentType: 'text', body: 'A second one.' });
    const s = await poll();
    assert.equal(s?.comments, 1, JSON.stringify(s));
    assert.equal(jsm.comments[0]!.jsdPublic, true, 'the reporter, found through the mapping: a public reply');
    const raised = issuesOf(project).find((i) => i.fields.summary === 'New monitor please')!;
    assert.ok(raised.requestType, 'raised as a request, not a plain issue');
    assert.equal((raised.fields.reporter as { accountId: string }).accountId, hidden.accountId);
    assert.equal(h.jira.requestsTo('POST', /^\/rest\/servicedeskapi\/customer$/).length, customersBefore, 'no customer created for a known person');
  });

  it('a reply to the bridge\'s own stakeholder mail becomes a comment on its issue without the key in the subject', async () => {
    await addSource();
    const issue = h.jira.addIssueFromWebhookFixture('issue_created.story.json');
    const target = h.jira.addIssue({ key: `${project}-33`, fields: { ...issue.fields, summary: 'Release notes' } });
    const sent = bridgeMessageId(target.key, 'job-42', h.jira.baseUrl);
    const other = bridgeMessageId('OTHER-1', 'job-43', h.jira.baseUrl);
    // Outlook's reply: In-Reply-To the message answered, References the whole chain (RFC 5322 §3.6.4).
    h.graph.mailIn.deliver(inbox, {
      subject: 'RE: Status update',
      from: { address: 'stakeholder@partner.example' },
      contentType: 'text',
      body: 'Thanks, noted.',
      headers: [
        { name: 'In-Reply-To', value: sent },
        { name: 'References', value: `<unrelated@partner.example> ${sent}` },
      ],
    });
    // A reply to the bridge's mail about another project's issue names no issue here: a new issue.
    h.graph.mailIn.deliver(inbox, { subject: 'RE: Elsewhere', from: { address: 'stakeholder@partner.example' }, contentType: 'text', body: 'Hm.', headers: [{ name: 'In-Reply-To', value: other }] });
    const s = await poll();
    assert.equal(s?.comments, 1, JSON.stringify(s));
    assert.equal(s?.issues, 1, JSON.stringify(s));
    assert.equal(target.comments.length, 1);
    assert.match(JSON.stringify(target.comments[0]!.body), /Thanks, noted\./);
  });

  it('skips auto-replies, bulk mail, its own mail and blocked domains, and audits each reason', async () => {
    await addSource({ blockedDomains: ['spam.example'] });
    h.graph.mailIn.deliver(inbox, { subject: 'Automatic reply: Printer', from: { address: 'ooo@customer.example' }, headers: [{ name: 'Auto-Submitted', value: 'auto-replied' }] });
    h.graph.mailIn.deliver(inbox, { subject: 'Newsletter', from: { address: 'news@customer.example' }, headers: [{ name: 'Precedence', value: 'bulk' }] });
    h.graph.mailIn.deliver(inbox, { subject: 'Away', from: { address: 'away@customer.example' }, headers: [{ name: 'X-Auto-Response-Suppress', value: 'All' }] });
    h.graph.mailIn.deliver(inbox, { subject: 'Update on SUP-1', from: { address: inbox.userPrincipalName }, headers: [{ name: 'x-jira-m365-job', value: 'j1' }] });
    h.graph.mailIn.deliver(inbox, { subject: 'Buy now', from: { address: 'x@mail.spam.example' } });
    const s = await poll();
    assert.equal(s?.skipped, 5, JSON.stringify(s));
    assert.equal(issuesOf(project).length, 0);
    const audit = await listAudit(deps, h.siteId, `${project}-mail`);
    const reasons = audit.map((a) => a.detail ?? '').join('\n');
    for (const reason of ['auto-reply', 'bulk', 'own-mail', 'blocked-domain']) assert.match(reasons, new RegExp(`skipped: ${reason}`));
    assert.doesNotMatch(reasons + JSON.stringify(h.log.lines), /Newsletter|Buy now/, 'subjects are never audited or logged');
    // docs/mail-to-jira.md sends the admin to GET /api/manage/audit/{siteId}/{projectKey}-mail for the skips.
    const answer = (await adminAudit(deps, { method: 'GET', params: { siteId: h.siteId, issueKey: `${project}-mail` }, query: {}, headers: {} })) as { status: number; body: { entries: unknown[] } };
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.entries.length, audit.length);
  });

  it('limits how many issues one sender can cause per hour', async () => {
    await addSource({ maxPerSenderPerHour: 2 });
    for (let i = 0; i < 3; i++) h.graph.mailIn.deliver(inbox, { subject: `Flood ${i}`, from: { address: 'flood@customer.example' } });
    const s = await poll();
    assert.equal(s?.issues, 2);
    assert.equal(s?.skipped, 1);
  });

  it('uploads attachments up to the limit and lists larger ones on the issue', async () => {
    await addSource({ maxAttachmentBytes: 1000 });
    h.graph.mailIn.deliver(inbox, {
      subject: 'Logs attached',
      from: { address: 'ops@customer.example' },
      attachments: [
        { name: 'small.txt', contentType: 'text/plain', content: Buffer.from('small log') },
        { name: 'huge.bin', content: Buffer.alloc(5000, 1) },
        { name: 'logo.png', content: Buffer.from('png'), isInline: true },
      ],
    });
    await poll();
    const [issue] = issuesOf(project);
    assert.deepEqual(issue!.attachments?.map((a) => [a.filename, a.content.toString()]), [['small.txt', 'small log']]);
    assert.match(JSON.stringify(issue!.fields.description), /huge\.bin \(5000 bytes, over the 1000-byte limit/);
    assert.doesNotMatch(JSON.stringify(issue!.fields.description), /logo\.png/);
  });

  it('recovers a message the last catch-up did not see through the delta link', async () => {
    await addSource();
    h.graph.mailIn.deliver(inbox, { subject: 'First', from: { address: 'a@customer.example' } });
    await poll();
    // Arrives while nothing is watching (no notification); the next catch-up reads it from the saved delta link.
    h.graph.mailIn.deliver(inbox, { subject: 'Missed', from: { address: 'b@customer.example' } });
    const before = h.graph.count('GET', /\/messages\/delta$/);
    const s = await poll();
    assert.equal(s?.issues, 1);
    assert.deepEqual(issuesOf(project).map((i) => i.fields.summary).sort(), ['First', 'Missed']);
    const last = h.graph.requestsTo('GET', /\/messages\/delta$/).slice(before);
    assert.ok(last.every((r) => r.query.$deltatoken || r.query.$skiptoken), 'the second catch-up follows the delta link');
  });

  it('starts the folder over when Graph has lost the sync state (410 syncStateNotFound), without a duplicate', async () => {
    await addSource();
    h.graph.mailIn.deliver(inbox, { subject: 'Before reset', from: { address: 'c@customer.example' } });
    assert.equal((await poll())?.issues, 1);
    h.graph.mailIn.deliver(inbox, { subject: 'After reset', from: { address: 'd@customer.example' } });
    h.graph.mailIn.resetSyncState();
    const s = await poll();
    assert.equal(s?.issues, 1, JSON.stringify(s));
    assert.equal(s?.duplicates, 1);
    assert.ok(h.graph.requestsTo('GET', /\/messages\/delta$/).some((r) => r.status === 410), 'the saved link was refused');
    assert.deepEqual(issuesOf(project).map((i) => i.fields.summary).sort(), ['After reset', 'Before reset']);
  });

  it('parks the catch-up while the account needs re-authentication and resumes it after sign-in', async () => {
    await addSource();
    h.graph.mailIn.deliver(inbox, { subject: 'While parked', from: { address: 'p@customer.example' } });
    await resetQueues([queueNames.mailIn]);
    reauth = true;
    assert.equal(await poll(), undefined);
    const parked = await listParkedJobs(deps.tables, h.tenantId, 'mail-in');
    assert.equal(parked.length, 1);
    assert.equal(issuesOf(project).length, 0);

    reauth = false;
    assert.equal(await resumeParkedJobs(deps, h.tenantId, 'mail-in'), 1);
    const [message] = await deps.queues.receive(queueNames.mailIn, 1, 30);
    assert.ok(message);
    const s = await runMailInJob(deps, message.body, { queue: queueNames.mailIn, dequeueCount: 1 });
    assert.equal(s?.issues, 1);
    assert.equal(issuesOf(project)[0]!.fields.summary, 'While parked');
  });
  // Last in this file: the prune runs on the whole (shared) table with this file's clock, a month ahead.
  it('retention deletes claims after 30 days and rate windows after 48 hours, keeps recent ones, and a message whose claim went is not ingested again', async () => {
    await addSource();
    const table = await deps.tables.table(tableNames.mailInMessages);
    const hash = (id: string) => createHash('sha256').update(id).digest('hex');
    const rows = async (pk: string) => (await listPartition<{ claimedAt?: string }>(table, pk)).map((r) => r.rowKey).sort();
    const from = { address: 'kept@customer.example' };
    h.graph.mailIn.deliver(inbox, { subject: 'Old', from, internetMessageId: '<old@customer.example>' });
    assert.equal((await poll())?.issues, 1);
    h.clock.advance(10 * 24 * 3600_000);
    h.graph.mailIn.deliver(inbox, { subject: 'Middle', from, internetMessageId: '<middle@customer.example>' });
    assert.equal((await poll())?.issues, 1);
    h.clock.advance(21 * 24 * 3600_000 + 3600_000); // "Old" was claimed 31 days ago, "Middle" 21 days ago
    h.graph.mailIn.deliver(inbox, { subject: 'New', from, internetMessageId: '<new@customer.example>' });
    assert.equal((await poll())?.issues, 1);
    const claimPk = `${h.siteId}:${project}`;
    const ratePk = `rate:${h.siteId}:${project}`;
    assert.deepEqual(await rows(claimPk), [hash('<middle@customer.example>'), hash('<new@customer.example>'), hash('<old@customer.example>')].sort());
    assert.equal((await rows(ratePk)).length, 3, 'one rate window per hour the sender wrote in');

    // In batches: a run stops at its budget and says more is due.
    const first = await pruneMailInRecords(deps, { maxDeletes: 1 });
    assert.equal(first.claims + first.rateWindows, 1);
    assert.equal(first.more, true);
    const rest = await pruneMailInRecords(deps);
    assert.equal(rest.more, false);
    assert.deepEqual(await rows(claimPk), [hash('<middle@customer.example>'), hash('<new@customer.example>')].sort(), 'only the 31-day-old claim went');
    const hour = h.clock.now().toISOString().slice(0, 13);
    assert.deepEqual((await rows(ratePk)).map((rk) => rk.split(':').slice(1).join(':')), [hour], 'only the current hour’s rate window stays');
    assert.deepEqual(await pruneMailInRecords(deps), { claims: 0, rateWindows: 0, more: false }, 'nothing left to prune');

    // The folder's sync state is reset: the catch-up starts afresh and lists all three messages again. "Old" has no
    // claim any more, and is turned away as too old instead of becoming a second issue.
    h.graph.mailIn.resetSyncState();
    const again = await poll();
    assert.deepEqual({ seen: again?.seen, issues: again?.issues, duplicates: again?.duplicates, skipped: again?.skipped }, { seen: 3, issues: 0, duplicates: 2, skipped: 1 });
    assert.deepEqual(issuesOf(project).map((i) => i.fields.summary).sort(), ['Middle', 'New', 'Old']);
    const audit = await listAudit(deps, h.siteId, `${project}-mail`);
    assert.ok(audit.some((a) => a.outcome === 'ignored' && /received more than 29 days ago/.test(a.detail ?? '')), JSON.stringify(audit));
  });
});
