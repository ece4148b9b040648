// Teams online meetings (graph-contract §7) through createOrGet, the idempotent variant: Graph keys the meeting on
// (tenant, organizer, externalId), so asking again returns the same meeting instead of a second one.
import type { MeetingParticipants, OnlineMeeting } from '@microsoft/microsoft-graph-types';
import { graphKey, type Graph } from './client.js';

/** A meeting as createOrGet answers it: these are always set on an answered meeting. */
export type CreatedOnlineMeeting = OnlineMeeting & { id: string; joinWebUrl: string; startDateTime: string; endDateTime: string };

/** The parameters of the createOrGet action (onlinemeeting-createorget: externalId required, the rest optional). */
export interface CreateOrGetMeetingBody {
  externalId: string;
  subject: string;
  startDateTime: string;
  endDateTime: string;
  participants: MeetingParticipants;
}

/** Who organizes: the signed-in service user (delegated), or a user the app acts for (app-only). */
export type MeetingOrganizer = { me: true } | { userId: string };

/**
 * POST /me/onlineMeetings/createOrGet (delegated) or /users/{id}/onlineMeetings/createOrGet (app-only)
 * (learn.microsoft.com/graph/api/onlinemeeting-createorget).
 * Permission: delegated OnlineMeetings.ReadWrite; application OnlineMeetings.ReadWrite.All plus a Teams
 * application access policy for the organizer, without which Graph answers 403 (app-access-policy).
 * Answers 201 when it created the meeting, 200 when it found the existing one. Limits: 2000 meetings per user per
 * month (throttling-limits). Safe to repeat: that is what externalId is for.
 */
export async function createOrGetOnlineMeeting(
  graph: Graph,
  organizer: MeetingOrganizer,
  body: CreateOrGetMeetingBody,
): Promise<{ meeting: CreatedOnlineMeeting; created: boolean }> {
  const path = 'userId' in organizer ? `/users/${graphKey(organizer.userId)}/onlineMeetings/createOrGet` : '/me/onlineMeetings/createOrGet';
  const r = await graph.post<CreatedOnlineMeeting>(path, body);
  return { meeting: r.body, created: r.status === 201 };
}
