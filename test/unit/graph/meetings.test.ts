import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOrGetOnlineMeeting, type CreateOrGetMeetingBody } from '../../../shared/graph/meetings.js';
import { MemoryGraph } from '../../support/memoryGraph.js';

const body: CreateOrGetMeetingBody = {
  externalId: 'jira-acme-10042',
  subject: 'INC-7 war room',
  startDateTime: '2026-12-01T09:00:00.000Z',
  endDateTime: '2026-12-01T10:00:00.000Z',
  participants: { attendees: [{ identity: { user: { id: '0b8c4f8e-1111-4222-8333-944455556666' } }, role: 'attendee' }] },
};

describe('shared/graph/meetings', () => {
  it('creates the meeting once as the signed-in user, then gets the same one for the same externalId', async () => {
    const graph = new MemoryGraph();
    graph.signIn(graph.addUser({ displayName: 'Meetings Service' }));
    const first = await createOrGetOnlineMeeting(graph, { me: true }, body);
    const again = await createOrGetOnlineMeeting(graph, { me: true }, body);
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.meeting.id, first.meeting.id);
    assert.match(first.meeting.joinWebUrl, /^https:\/\/teams\.microsoft\.com\//);
    assert.deepEqual(graph.made().map((c) => c.url), ['/me/onlineMeetings/createOrGet', '/me/onlineMeetings/createOrGet']);
    assert.deepEqual(graph.made()[0]?.body, body);
    graph.assertNoViolations();
  });

  it('acts for the organizer named in the path when app-only', async () => {
    const graph = new MemoryGraph();
    const organizer = graph.addUser({ displayName: 'Org Anizer' });
    const { meeting, created } = await createOrGetOnlineMeeting(graph, { userId: organizer.id }, body);
    assert.equal(created, true);
    assert.equal(graph.meetings[0]?.organizerId, organizer.id);
    assert.equal(meeting.subject, 'INC-7 war room');
    assert.equal(graph.made()[0]?.url, `/users/${organizer.id}/onlineMeetings/createOrGet`);
    graph.assertNoViolations();
  });
});
