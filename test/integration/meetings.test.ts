// Meeting jobs end to end against the fake Graph (schema-checked) and fake Jira, with real tables on Azurite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PermanentError } from '../../shared/errors.js';
import { ensureChatForIssue } from '../../shared/workflows/createChat.js';
import { readMeeting, meetingJob } from '../../shared/workflows/meeting.js';
import { startHarness, type Harness } from './meetingsHarness.js';

describe('meeting jobs', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  async function incident(key: string) {
    const agent = h.person(`Agent ${key}`, `agent.${key.toLowerCase()}@contoso.example`);
    const responder = h.person(`Responder ${key}`, `responder.${key.toLowerCase()}@contoso.example`);
    const issue = h.jira.addJsmIssue({ key, summary: 'Checkout <down> & "broken"', assignee: agent.jira, participants: [responder.jira] });
    await h.configure(key.split('-')[0]!);
    return { agent, responder, issue };
  }

  const joinLinkMessages = (chatId: string, joinWebUrl: string) =>
    h.graph.chats.get(chatId)!.messages.filter((m) => m.body.content.includes(joinWebUrl.replace(/&/g, '&amp;')));

  it('creates one meeting per issue, posts its join link to the chat once and links it on the issue', async () => {
    const { agent, responder, issue } = await incident('INC-1');
    const first = await meetingJob(h.job('meeting', 'INC-1', { createChat: true }), h.context(), h.deps);
    assert.equal(first.outcome, 'done');
    assert.match(first.detail!, /meeting created/);
    const second = await meetingJob(h.job('meeting', 'INC-1', { createChat: true }), h.context(), h.deps);
    assert.match(second.detail!, /already existed/);
    assert.match(second.detail!, /already in the chat/);

    assert.equal(h.graph.count('POST', '/me/onlineMeetings/createOrGet'), 2);
    const meetings = [...h.graph.meetings.values()].filter((m) => m.externalId.includes(issue.id));
    assert.equal(meetings.length, 1, 'createOrGet keyed on site + issue returns the same meeting');
    const meeting = meetings[0]!;
    assert.equal(meeting.organizerId, h.serviceUser.id);
    assert.equal(meeting.subject, 'Meeting: [INC-1] Checkout <down> & "broken"');
    const attendees = ((meeting.request.participants as { attendees: Array<{ identity?: { user?: { id?: string } } }> }).attendees ?? []).map((a) => a.identity?.user?.id);
    assert.deepEqual(new Set(attendees), new Set([agent.m365.id, responder.m365.id]), 'the chat people, without the organizer');
    assert.equal(Date.parse(meeting.endDateTime) - Date.parse(meeting.startDateTime), 3600_000);

    const chat = h.graph.chatsWithTopic(/INC-1/)[0]!;
    const posts = joinLinkMessages(chat.id, meeting.joinWebUrl);
    assert.equal(posts.length, 1, 'a repeat does not post the link twice');
    assert.match(posts[0]!.body.content, /Checkout &lt;down&gt; &amp; &quot;broken&quot;/, 'Jira strings are escaped in the chat');
    assert.doesNotMatch(posts[0]!.body.content, /<down>/);

    const links = h.jira.issue('INC-1')!.remoteLinks.filter((l) => l.object.url === meeting.joinWebUrl);
    assert.equal(links.length, 1, 'one remote link, upserted by globalId');
    const record = await readMeeting(h.deps, h.siteId, issue.id);
    assert.equal(record?.meetingId, meeting.id);
    assert.equal(record?.joinWebUrl, meeting.joinWebUrl);
  });

  it('takes subject and times from the request; without a chat it only links the issue', async () => {
    await incident('INC-2');
    const result = await meetingJob(
      h.job('meeting', 'INC-2', { subject: 'Postmortem for {key}: {summary}', start: '2026-11-24T14:00:00Z', end: '2026-11-24T14:30:00+00:00' }),
      h.context(),
      h.deps,
    );
    assert.match(result.detail!, /no chat for the issue/);
    const meeting = [...h.graph.meetings.values()].find((m) => m.subject?.startsWith('Postmortem for INC-2'))!;
    assert.ok(meeting);
    assert.equal(Date.parse(meeting.startDateTime), Date.parse('2026-11-24T14:00:00Z'));
    assert.equal(Date.parse(meeting.endDateTime), Date.parse('2026-11-24T14:30:00Z'));
    assert.equal(h.jira.issue('INC-2')!.remoteLinks.length, 1);
  });

  it('does not post twice when the connection drops after Graph accepted the chat message', async () => {
    await incident('INC-3');
    const ctx = h.context();
    const chat = await ensureChatForIssue(h.deps, ctx, { siteId: h.siteId, issueKey: 'INC-3', kind: 'incident', jobId: 'setup-inc-3' });
    h.graph.dropConnectionAfter({ method: 'POST', pathPattern: `/chats/${chat.chatId}/messages` });
    await assert.rejects(meetingJob(h.job('meeting', 'INC-3'), h.context(), h.deps));
    const again = await meetingJob(h.job('meeting', 'INC-3'), h.context(), h.deps);
    assert.match(again.detail!, /chat post skipped/);
    const meeting = [...h.graph.meetings.values()].find((m) => m.subject?.includes('[INC-3]'))!;
    assert.equal(joinLinkMessages(chat.chatId, meeting.joinWebUrl).length, 1);
  });

  it('app-only: creates the meeting for the service user as organizer', async () => {
    await incident('INC-4');
    h.modes.meetings = 'app';
    try {
      await meetingJob(h.job('meeting', 'INC-4'), h.context(), h.deps);
      const calls = h.graph.requestsTo('POST', `/users/${h.serviceUser.id}/onlineMeetings/createOrGet`);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.tokenClaims?.oid, undefined, 'an app-only token');
    } finally {
      delete h.modes.meetings;
    }
  });

  it('app-only without an application access policy fails with the PowerShell to fix it', async () => {
    await incident('INC-5');
    h.modes.meetings = 'app';
    h.graph.failNext({ method: 'POST', pathPattern: /onlineMeetings\/createOrGet$/, status: 403, code: 'Unauthorized' });
    try {
      await assert.rejects(meetingJob(h.job('meeting', 'INC-5'), h.context(), h.deps), (e: unknown) => {
        assert.ok(e instanceof PermanentError);
        assert.equal(e.code, 'meeting_app_access_policy_missing');
        assert.match(e.message, /New-CsApplicationAccessPolicy/);
        assert.match(e.message, new RegExp(`Grant-CsApplicationAccessPolicy .*${h.serviceUser.id}`));
        return true;
      });
    } finally {
      delete h.modes.meetings;
    }
  });

  it('refuses an end before the start, naming both', async () => {
    await incident('INC-6');
    const before = h.graph.count('POST', /onlineMeetings/);
    await assert.rejects(
      meetingJob(h.job('meeting', 'INC-6', { start: '2026-11-24T15:00:00Z', end: '2026-11-24T14:00:00Z' }), h.context(), h.deps),
      (e: unknown) => e instanceof PermanentError && e.code === 'meeting_times_invalid' && /2026-11-24T15:00/.test(e.message),
    );
    assert.equal(h.graph.count('POST', /onlineMeetings/), before, 'nothing was sent to Graph');
  });
});
