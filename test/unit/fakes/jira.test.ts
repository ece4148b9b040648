// The fake Jira answers what jira.js 6 calls with bodies that pass jira.js's own response schemas
// (`onSchemaMismatch: 'throw'`), keeps state, and injects failures.
 
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCloudClient, createServiceDeskClient } from 'jira.js';
import { adfText, adfToText, FakeJira, ISSUE_NOT_FOUND } from '../../fakes/jira.js';

describe('fake Jira', () => {
  const jira = new FakeJira();
  const story = jira.addIssueFromWebhookFixture('issue_created.story.json');
  const alice = jira.addUser({ displayName: 'Alice Agent', emailAddress: 'alice@example.com' });
  const hidden = jira.addUser({ displayName: 'Hidden Harper', emailAddress: 'harper@example.com', emailVisible: false });
  const incident = jira.addJsmIssue({
    key: 'ITSM-7',
    summary: 'Printer on fire',
    description: 'Smoke on floor 3',
    participants: [alice, hidden],
    responders: [alice, { teamId: 'aaaa-bbbb', name: 'Facilities' }],
  });
  let baseUrl = '';
  let close: () => Promise<void>;
  let cloud: ReturnType<typeof createCloudClient>;
  let desk: ReturnType<typeof createServiceDeskClient>;

  before(async () => {
    ({ baseUrl, close } = await jira.start());
    const config = { host: baseUrl, auth: { type: 'basic' as const, ...jira.credentials }, onSchemaMismatch: 'throw' as const };
    cloud = createCloudClient(config);
    desk = createServiceDeskClient(config);
  });
  after(() => close());

  it('requires Basic auth with the API token', async () => {
    const res = await fetch(`${baseUrl}/rest/api/3/myself`);
    assert.equal(res.status, 401);
    const wrong = await fetch(`${baseUrl}/rest/api/3/myself`, { headers: { authorization: `Basic ${Buffer.from('bridge@example.com:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const me = await cloud.myself.getCurrentUser();
    assert.equal(me.accountId, jira.apiUser.accountId);
  });

  it('serves an issue seeded from a real webhook payload as REST v3', async () => {
    const issue = await cloud.issues.getIssue({ issueIdOrKey: 'GBL-108' });
    assert.equal(issue.key, 'GBL-108');
    assert.equal(issue.id, story.id);
    assert.equal(issue.self, `${baseUrl}/rest/api/3/issue/${story.id}`);
    assert.equal((issue.fields as Record<string, any>).status.name, 'Wishlist');
    assert.ok(!JSON.stringify(issue).includes('tbcl64.atlassian.net'), 'site URLs point at the fake');

    const only = await cloud.issues.getIssue({ issueIdOrKey: 'GBL-108', fields: ['summary', 'priority'] });
    assert.deepEqual(Object.keys(only.fields ?? {}).sort(), ['priority', 'summary']);
  });

  it("answers a missing issue 404 with Jira's body", async () => {
    const res = await fetch(`${baseUrl}/rest/api/3/issue/NOPE-1`, { headers: { authorization: basic(jira) } });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), ISSUE_NOT_FOUND);
    await assert.rejects(cloud.issues.getIssue({ issueIdOrKey: 'NOPE-1' }), (e: { status?: number }) => e.status === 404);
  });

  it('serves a JSM incident with request type, participants and responders', async () => {
    const issue = await cloud.issues.getIssue({ issueIdOrKey: 'ITSM-7' });
    const fields = issue.fields as Record<string, any>;
    assert.equal(fields.issuetype.name, '[System] Incident');
    assert.equal(fields.project.projectTypeKey, 'service_desk');
    assert.equal(fields[jira.fieldIds.requestType].requestType.name, 'Report a system problem');
    assert.deepEqual(fields[jira.fieldIds.requestParticipants].map((u: any) => u.accountId), [alice.accountId, hidden.accountId]);
    assert.deepEqual(fields[jira.fieldIds.responders].map((r: any) => r.ari), [`ari:cloud:identity::user/${alice.accountId}`, 'ari:cloud:identity::team/aaaa-bbbb']);
    assert.equal(adfToText(fields.description).trim(), 'Smoke on floor 3');

    const request = await desk.request.getCustomerRequestByIdOrKey({ issueIdOrKey: 'ITSM-7' });
    assert.equal(request.issueKey, 'ITSM-7');
    const participants = await desk.request.getRequestParticipants({ issueIdOrKey: 'ITSM-7' });
    assert.deepEqual(participants.values?.map((u) => u.emailAddress), ['alice@example.com', undefined]);

    const fieldsList = await cloud.issueFields.getFields();
    assert.equal(fieldsList.find((f) => f.name === 'Request participants')?.id, jira.fieldIds.requestParticipants);
  });

  it('stores ADF comments and JSM internal comments; rejects a non-ADF body', async () => {
    const added = await cloud.issueComments.addComment({ issueIdOrKey: 'ITSM-7', body: adfText('Chat created') });
    assert.equal(added.jsdPublic, true);
    const wiki = await cloud.issueComments.addComment({ issueIdOrKey: 'GBL-108', body: 'wiki *markup* goes to API v2' });
    assert.equal(adfToText(wiki.body).trim(), 'wiki *markup* goes to API v2');
    const internal = await desk.request.createRequestComment({ issueIdOrKey: 'ITSM-7', body: 'Internal note', public: false });
    assert.equal(internal.public, false);
    assert.deepEqual(
      incident.comments.map((c) => [c.via, c.jsdPublic]),
      [['platform', true], ['servicedesk', false]],
    );
    const page = await cloud.issueComments.getComments({ issueIdOrKey: 'ITSM-7' });
    assert.equal(page.total, 2);
    assert.equal(adfToText(page.comments?.[1]?.body).trim(), 'Internal note');

    const res = await fetch(`${baseUrl}/rest/api/3/issue/ITSM-7/comment`, {
      method: 'POST',
      headers: { authorization: basic(jira), 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'plain text is API v2, not v3' }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { errorMessages: [], errors: { comment: 'INVALID_INPUT' } });
  });

  it('upserts remote links by globalId: 201 then 200, one link', async () => {
    const link = { globalId: 'teams-chat:19:abc@thread.v2', object: { url: 'https://teams.microsoft.com/l/chat/x', title: 'Teams chat' } };
    const first = await fetch(`${baseUrl}/rest/api/3/issue/ITSM-7/remotelink`, {
      method: 'POST',
      headers: { authorization: basic(jira), 'content-type': 'application/json' },
      body: JSON.stringify(link),
    });
    assert.equal(first.status, 201);
    const again = await cloud.issueRemoteLinks.createOrUpdateRemoteIssueLink({ issueIdOrKey: 'ITSM-7', ...link, object: { ...link.object, title: 'Teams chat (renamed)' } });
    assert.equal(again.id, ((await first.json()) as { id: number }).id);
    const links = await cloud.issueRemoteLinks.getRemoteIssueLinks({ issueIdOrKey: 'ITSM-7' });
    assert.equal(Array.isArray(links) ? links.length : 1, 1);
    assert.equal(incident.remoteLinks[0]?.object.title, 'Teams chat (renamed)');
    assert.equal(jira.requestsTo('POST', /remotelink$/).map((r) => r.status).join(','), '201,200');
  });

  it('edits priority and assignee', async () => {
    await cloud.issues.editIssue({ issueIdOrKey: 'ITSM-7', fields: { priority: { name: 'Highest' } } });
    await cloud.issues.assignIssue({ issueIdOrKey: 'ITSM-7', accountId: alice.accountId });
    assert.equal((incident.fields.priority as { name: string }).name, 'Highest');
    assert.deepEqual(incident.fields.assignee, { accountId: alice.accountId });
    await assert.rejects(cloud.issues.editIssue({ issueIdOrKey: 'ITSM-7', fields: { customfield_99999: 'x' } }), (e: { status?: number }) => e.status === 400);
  });

  it('gets and searches users, hiding e-mails the profile hides', async () => {
    assert.equal((await cloud.users.getUser({ accountId: alice.accountId })).emailAddress, 'alice@example.com');
    assert.equal((await cloud.users.getUser({ accountId: hidden.accountId })).emailAddress, undefined);
    const found = await cloud.userSearch.findUsers({ query: 'harper@example.com' });
    assert.deepEqual(found.map((u) => u.accountId), [hidden.accountId]);
  });

  it('injects failures and can drop the connection after processing', async () => {
    jira.failNext({ method: 'GET', pathPattern: /\/issue\/ITSM-7$/, status: 429, retryAfterSeconds: 3 });
    const res = await fetch(`${baseUrl}/rest/api/3/issue/ITSM-7`, { headers: { authorization: basic(jira) } });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '3');

    jira.dropConnectionAfter({ method: 'POST', pathPattern: /\/comment$/ });
    await assert.rejects(
      fetch(`${baseUrl}/rest/api/3/issue/GBL-108/comment`, {
        method: 'POST',
        headers: { authorization: basic(jira), 'content-type': 'application/json' },
        body: JSON.stringify({ body: adfText('lost answer') }),
      }),
      /fetch failed/,
    );
    assert.equal(story.comments.length, 2, 'the comment exists although the caller saw no answer');
  });
});

function basic(jira: FakeJira): string {
  return `Basic ${Buffer.from(`${jira.credentials.email}:${jira.credentials.apiToken}`).toString('base64')}`;
}
