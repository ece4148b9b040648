import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError } from '../../../shared/errors.js';
import { GraphRequestError } from '../../../shared/graph/client.js';
import type { JiraIssue } from '../../../shared/jira/issue.js';
import { explainMeetingError, meetingBody, meetingExternalId } from '../../../shared/meetings/onlineMeeting.js';
import { renderIssueTemplate, singleLine } from '../../../shared/meetings/template.js';
import { meetingTimes } from '../../../shared/workflows/meeting.js';

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
