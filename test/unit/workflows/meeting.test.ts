import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import type { JiraIssue } from '../../../shared/jira/issue.js';
import { explainMeetingError, meetingBody, meetingExternalId } from '../../../shared/meetings/onlineMeeting.js';
import { renderIssueTemplate, singleLine } from '../../../shared/meetings/template.js';
import { meetingJob, meetingTimes, readMeeting } from '../../../shared/workflows/meeting.js';
import { writeServiceUser } from '../../../shared/storage/serviceUsers.js';
import { issueWithChat } from '../../support/chatLinkSeed.js';
import { MemoryGraph } from '../../support/memoryGraph.js';
import { jiraIssue, memoryWorkflow } from '../../support/memoryWorkflow.js';

const issue = { key: 'INC-9', summary: 'DB {down}', issueType: 'Incident', priority: 'P1', status: 'Open', labels: [], requestParticipants: [], responders: [] } as unknown as JiraIssue;

describe('meeting workflow helpers', () => {
  it('keys the meeting on site and issue id, short and stable', () => {
    assert.equal(meetingExternalId('acme', '10042'), 'jira-acme-10042');
    assert.equal(meetingExternalId('acme', '10042'), meetingExternalId('acme', '10042'));
    assert.notEqual(meetingExternalId('acme', '10042'), meetingExternalId('acme2', '10042'));
    const long = meetingExternalId('a'.repeat(80), '1');
    assert.match(long, /^jira-[0-9a-f]{40}$/);
  });

  it('uses the requested times, else now and one hour, and refuses an end before the start', () => {
    const now = new Date('2026-11-23T09:00:00Z');
    assert.deepEqual(meetingTimes({}, now), { start: now, end: new Date('2026-11-23T10:00:00Z') });
    assert.deepEqual(meetingTimes({ start: '2026-11-24T10:00:00+01:00' }, now), { start: new Date('2026-11-24T09:00:00Z'), end: new Date('2026-11-24T10:00:00Z') });
    assert.throws(() => meetingTimes({ start: '2026-11-24T10:00:00Z', end: '2026-11-24T10:00:00Z' }, now), (e: unknown) => e instanceof PermanentError && e.code === 'meeting_times_invalid');
  });

  it('invites attendees by object id, or by UPN for manual mappings', () => {
    const body = meetingBody({
      externalId: 'x',
      subject: 's',
      start: new Date('2026-11-23T09:00:00Z'),
      end: new Date('2026-11-23T10:00:00Z'),
      attendees: [{ objectId: '0b8c4f8e-1111-4222-8333-944455556666' }, { upn: 'guest@partner.example' }],
    });
    assert.deepEqual(body.participants.attendees, [
      { identity: { user: { id: '0b8c4f8e-1111-4222-8333-944455556666' } }, role: 'attendee' },
      { upn: 'guest@partner.example', role: 'attendee' },
    ]);
  });

  it('renders subjects from issue fields, leaving unknown braces alone, on one line', () => {
    assert.equal(renderIssueTemplate('[{key}] {summary} ({priority}, {status}) {nope}', issue), '[INC-9] DB {down} (P1, Open) {nope}');
    assert.equal(singleLine('a\r\nb\u2028c   d', 255), 'a b c d');
    assert.equal(singleLine('x'.repeat(300), 10).length, 10);
  });

  it('explains app-only refusals with the application access policy, delegated ones with the licence and consent', () => {
    const refused = new GraphRequestError(403, 'Unauthorized', 'App x is not authorized', 'POST', '/users/u/onlineMeetings/createOrGet');
    const app = explainMeetingError(refused, 'app', 'u-1');
    assert.ok(app instanceof PermanentError);
    assert.equal(app.code, 'meeting_app_access_policy_missing');
    assert.match(app.message, /Grant-CsApplicationAccessPolicy -PolicyName JiraBridge-Meetings -Identity "u-1"/);
    const delegated = explainMeetingError(refused, 'delegated');
    assert.ok(delegated instanceof PermanentError && delegated.code === 'meeting_forbidden' && /Teams licence/.test(delegated.message));
    const transient = new GraphRequestError(500, 'generalException', 'x', 'POST', '/me/onlineMeetings/createOrGet');
    assert.equal(explainMeetingError(transient, 'delegated'), transient);
  });
});

// meetingJob (shared/workflows/meeting.ts) against the typed in-memory Graph: what a responder sees in Teams and
// Jira when the `meeting` action runs, and what an admin reads when Teams refuses the organizer.
describe('meeting workflow (in-memory Graph)', () => {
  it('creates one meeting per issue however often the job runs, posts the join link to the chat once, escaped, and links it from Jira', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    const issue = jiraIssue({ key: 'INC-21', summary: 'DB <down> & "slow"' });
    const chat = await issueWithChat(w, issue, { members: { 'acc-svc': w.serviceUser.id, 'acc-ana': ana.id } });

    const first = await meetingJob(w.job('meeting', 'INC-21'), w.context(), w.deps);
    const again = await meetingJob(w.job('meeting', 'INC-21'), w.context(), w.deps);

    assert.equal(w.graph.meetings.length, 1, 'one meeting, however often the action runs');
    const meeting = w.graph.meetings[0]!;
    assert.equal(meeting.externalId, meetingExternalId(w.siteId, issue.id));
    assert.equal(meeting.organizerId, w.serviceUser.id);
    assert.equal(meeting.subject, 'Meeting: [INC-21] DB <down> & "slow"', 'a Graph subject is plain text, not HTML');
    assert.deepEqual(meeting.participants?.attendees, [{ identity: { user: { id: ana.id } }, role: 'attendee' }], 'the chat people, without the organizer');
    assert.match(first.detail ?? '', /^meeting created .*join link posted to the chat/);
    assert.match(again.detail ?? '', /^meeting already existed .*join link was already in the chat/);

    assert.equal(chat.messages.length, 1, 'the join link is posted once');
    const html = chat.messages[0]!.body!.content!;
    assert.match(html, /DB &lt;down&gt; &amp; /, 'Jira text is escaped in the chat HTML');
    assert.doesNotMatch(html, /<down>/);
    assert.ok(html.includes(`href="${meeting.joinWebUrl}"`), html);
    assert.ok(html.includes('href="https://acme.atlassian.net/browse/INC-21"'), html);

    // Jira upserts remote links on their globalId, so the repeat updates the same link.
    assert.deepEqual(new Set(w.jira.remoteLinks.map((r) => r.link.globalId)), new Set([`m365-meeting:${meeting.externalId}`]));
    assert.equal(w.jira.remoteLinks[0]!.link.url, meeting.joinWebUrl);
    assert.equal((await readMeeting(w.deps, w.siteId, issue.id))?.joinWebUrl, meeting.joinWebUrl);
    w.graph.assertNoViolations();
  });

  it('without a chat invites the issue people found by e-mail and says the link went nowhere else', async () => {
    const w = memoryWorkflow();
    const ana = w.graph.addUser({ displayName: 'Ana Agent' });
    w.jira.issues.set('INC-22', jiraIssue({ key: 'INC-22', assignee: { accountId: 'acc-ana', emailAddress: ana.mail! } }));

    const result = await meetingJob(w.job('meeting', 'INC-22', { subject: '{key} bridge call', start: '2026-12-05T09:00:00Z' }), w.context(), w.deps);

    assert.equal(result.outcome, 'done');
    assert.match(result.detail ?? '', /no chat for the issue/);
    const meeting = w.graph.meetings[0]!;
    assert.equal(meeting.subject, 'INC-22 bridge call');
    assert.equal(meeting.startDateTime, '2026-12-05T09:00:00.000Z');
    assert.equal(meeting.endDateTime, '2026-12-05T10:00:00.000Z', 'one hour unless an end is given');
    assert.deepEqual(meeting.participants?.attendees, [{ identity: { user: { id: ana.id } }, upn: ana.userPrincipalName, role: 'attendee' }]);
    assert.equal(w.graph.made('POST', /\/messages$/).length, 0);
    assert.equal(w.jira.remoteLinks.length, 1);
    w.graph.assertNoViolations();
  });

  it('a delegated organizer Teams refuses ends the job with what to fix, and nothing is posted or linked', async () => {
    const w = memoryWorkflow();
    const issue = jiraIssue({ key: 'INC-23' });
    const chat = await issueWithChat(w, issue);
    w.graph.fail({ method: 'POST', url: /onlineMeetings\/createOrGet$/, status: 403, code: 'Forbidden' });

    await assert.rejects(meetingJob(w.job('meeting', 'INC-23'), w.context(), w.deps), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'meeting_forbidden');
      assert.match(e.message, /Teams licence/);
      return true;
    });
    assert.equal(w.graph.meetings.length, 0);
    assert.equal(chat.messages.length, 0);
    assert.equal(w.jira.remoteLinks.length, 0);
    w.graph.assertNoViolations();
  });

  it('app-only: no organizer signed in is explained before any Graph call; a missing access policy names the organizer to grant', async () => {
    const w = memoryWorkflow();
    w.jira.issues.set('INC-24', jiraIssue({ key: 'INC-24' }));
    // The meetings feature in app-only mode: a Graph session without a signed-in user.
    const appGraph = new MemoryGraph({ now: () => w.clock.now().getTime() });
    const organizer = appGraph.addUser({ displayName: 'Meetings Organizer' });
    const chatsGraph = w.deps.graphFor;
    w.deps.graphFor = async (tenantId, feature, options) => (feature === 'meetings' ? appGraph.session() : chatsGraph(tenantId, feature, options));

    await assert.rejects(meetingJob(w.job('meeting', 'INC-24'), w.context(), w.deps), (e: unknown) => e instanceof PermanentError && e.code === 'meeting_organizer_missing');
    assert.equal(appGraph.made().length, 0);

    await writeServiceUser(w.deps.tables, {
      tenantId: w.tenantId,
      feature: 'meetings',
      objectId: organizer.id,
      userPrincipalName: organizer.userPrincipalName,
      homeAccountId: `${organizer.id}.${w.tenantId}`,
      cacheSecretName: 'msal-cache-meetings',
      status: 'active',
      grantedScopes: [],
      degraded: [],
      signedInAt: w.clock.now().toISOString(),
      lastRefreshAt: w.clock.now().toISOString(),
      updatedAt: w.clock.now().toISOString(),
    });
    appGraph.fail({ method: 'POST', url: new RegExp(`^/users/${organizer.id}/onlineMeetings/createOrGet$`), status: 403, code: 'Forbidden' });

    await assert.rejects(meetingJob(w.job('meeting', 'INC-24'), w.context(), w.deps), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'meeting_app_access_policy_missing');
      assert.ok(e.message.includes(`Grant-CsApplicationAccessPolicy -PolicyName JiraBridge-Meetings -Identity "${organizer.id}"`), e.message);
      return true;
    });

    // Once the policy is granted, the same job creates the meeting for that organizer.
    const result = await meetingJob(w.job('meeting', 'INC-24'), w.context(), w.deps);
    assert.equal(result.outcome, 'done');
    assert.equal(appGraph.meetings.length, 1);
    assert.equal(appGraph.meetings[0]!.organizerId, organizer.id);
    appGraph.assertNoViolations();
  });
});
