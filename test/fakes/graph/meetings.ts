// Online meetings: POST /me/onlineMeetings/createOrGet (delegated) and /users/{id}/onlineMeetings/createOrGet
// (app-only). onlinemeeting-createorget.md: keyed by (tenant, user, externalId); 201 when created, 200 when an
// existing meeting is returned; times default to now and now + 1 h.
import { randomUUID } from 'node:crypto';
import type { FakeGraph, Route } from '../graph.js';
import type { FakeOnlineMeeting } from './state.js';
import { addressedUser } from './users.js';
import { appOnly, GraphError, timestamp, type GraphCall } from './wire.js';

export function meetingResource(graph: FakeGraph, meeting: FakeOnlineMeeting): Record<string, unknown> {
  const organizer = graph.findUser(meeting.organizerId);
  const participants = (meeting.request.participants ?? {}) as { attendees?: unknown[] };
  return {
    id: meeting.id,
    creationDateTime: meeting.creationDateTime,
    startDateTime: meeting.startDateTime,
    endDateTime: meeting.endDateTime,
    joinWebUrl: meeting.joinWebUrl,
    subject: meeting.subject,
    externalId: meeting.externalId,
    isBroadcast: false,
    allowedPresenters: 'everyone',
    chatInfo: { threadId: meeting.chatThreadId, messageId: '0', replyChainMessageId: null },
    joinMeetingIdSettings: { isPasscodeRequired: false, joinMeetingId: meeting.id.replace(/\D/g, '').slice(0, 12).padEnd(12, '7'), passcode: null },
    audioConferencing: null,
    participants: {
      organizer: {
        upn: organizer?.userPrincipalName ?? null,
        role: 'presenter',
        identity: { user: { id: meeting.organizerId, displayName: null, tenantId: meeting.tenantId, identityProvider: 'AAD' } },
      },
      attendees: participants.attendees ?? [],
    },
  };
}

function createOrGet(graph: FakeGraph, call: GraphCall) {
  const organizer = addressedUser(graph, call, call.params.userId);
  if (!appOnly(call.claims) && organizer.id !== call.claims.oid) {
    throw new GraphError(403, 'Forbidden', 'A delegated caller can only create meetings for itself.');
  }
  const body = (call.body ?? {}) as Record<string, unknown>;
  if (typeof body.externalId !== 'string' || body.externalId === '') {
    throw new GraphError(400, 'BadRequest', 'externalId is required.');
  }
  const key = `${call.claims.tid}|${organizer.id}|${body.externalId}`;
  const existing = graph.meetings.get(key);
  const context = `${graph.baseUrl}/$metadata#users('${organizer.id}')/onlineMeetings/$entity`;
  if (existing) return { status: 200, body: { '@odata.context': context, ...meetingResource(graph, existing) } };

  const now = graph.now();
  const start = typeof body.startDateTime === 'string' ? Date.parse(body.startDateTime) : now;
  const end = typeof body.endDateTime === 'string' ? Date.parse(body.endDateTime) : start + 60 * 60 * 1000;
  if (Number.isNaN(start) || Number.isNaN(end)) throw new GraphError(400, 'BadRequest', 'startDateTime/endDateTime are not valid dates.');
  const threadId = `19:meeting_${Buffer.from(randomUUID()).toString('base64url').slice(0, 40)}@thread.v2`;
  const meeting: FakeOnlineMeeting = {
    id: Buffer.from(`1*${organizer.id}*0**${threadId}`).toString('base64'),
    tenantId: call.claims.tid,
    organizerId: organizer.id,
    externalId: body.externalId,
    subject: typeof body.subject === 'string' ? body.subject : null,
    startDateTime: timestamp(start),
    endDateTime: timestamp(end),
    creationDateTime: timestamp(now),
    joinWebUrl:
      `https://teams.microsoft.com/l/meetup-join/${encodeURIComponent(threadId)}/0?context=` +
      encodeURIComponent(JSON.stringify({ Tid: call.claims.tid, Oid: organizer.id })),
    chatThreadId: threadId,
    request: body,
  };
  graph.meetings.set(key, meeting);
  return { status: 201, body: { '@odata.context': context, ...meetingResource(graph, meeting) } };
}

export function meetingRoutes(): Route[] {
  return [
    { method: 'POST', pattern: '/me/onlineMeetings/createOrGet', permissions: ['OnlineMeetings.ReadWrite'], handle: createOrGet },
    {
      method: 'POST',
      pattern: '/users/{userId}/onlineMeetings/createOrGet',
      permissions: ['OnlineMeetings.ReadWrite', 'OnlineMeetings.ReadWrite.All'],
      handle: createOrGet,
    },
  ];
}
