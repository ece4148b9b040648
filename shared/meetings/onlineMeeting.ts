// Teams online meetings through `createOrGet` (graph-contract §7): Graph keys the meeting on (tenant, organizer,
// externalId), so asking again for the same issue returns the same meeting (200) instead of a new one (201).
// Delegated: POST /me/onlineMeetings/createOrGet as the meetings service user. App-only: POST
// /users/{organizer}/onlineMeetings/createOrGet, which Teams refuses unless an application access policy grants
// the app the right to act for that organizer.
import { guidPattern } from '../ids.js';
import { createHash } from 'node:crypto';
import { PermanentError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { createOrGetOnlineMeeting, type CreatedOnlineMeeting, type CreateOrGetMeetingBody } from '../graph/meetings.js';
import type { GraphSession } from '../graph/session.js';

export interface MeetingAttendee {
  /** Entra object id, when known. */
  objectId?: string;
  upn?: string;
}

export interface MeetingRequest {
  externalId: string;
  subject: string;
  start: Date;
  end: Date;
  attendees: MeetingAttendee[];
}

// The docs give no length limit for externalId (onlinemeeting-createorget: "The external ID. A custom ID."); keep
// it short and ASCII so no undocumented limit bites, and readable when short enough to be.
const maxReadableExternalId = 64;

/** Stable per (Jira site, issue id): the issue id survives a move to another project, the key does not. */
export function meetingExternalId(siteId: string, issueId: string): string {
  const readable = `jira-${siteId}-${issueId}`;
  if (readable.length <= maxReadableExternalId && /^[A-Za-z0-9._-]+$/.test(readable)) return readable;
  return `jira-${createHash('sha256').update(`${siteId}\n${issueId}`).digest('hex').slice(0, 40)}`;
}

const guid = guidPattern;

/** The createOrGet parameters for a request: attendees by object id when known, else by UPN. */
export function meetingBody(request: MeetingRequest): CreateOrGetMeetingBody {
  return {
    externalId: request.externalId,
    subject: request.subject,
    startDateTime: request.start.toISOString(),
    endDateTime: request.end.toISOString(),
    participants: {
      attendees: request.attendees.map((a) => ({
        ...(a.objectId && guid.test(a.objectId) ? { identity: { user: { id: a.objectId } } } : {}),
        ...(a.upn ? { upn: a.upn } : {}),
        role: 'attendee' as const,
      })),
    },
  };
}

/**
 * createOrGet as the session's identity. `organizerId` is required app-only (the user the meeting is created for)
 * and ignored for delegated sessions (the service user itself).
 */
export async function createOrGetMeeting(
  graph: GraphSession,
  request: MeetingRequest,
  organizerId: string | undefined,
): Promise<{ meeting: CreatedOnlineMeeting; created: boolean }> {
  const organizer = graph.kind === 'app' ? { userId: requireOrganizer(organizerId) } : { me: true as const };
  try {
    return await createOrGetOnlineMeeting(graph, organizer, meetingBody(request));
  } catch (e) {
    throw explainMeetingError(e, graph.kind, organizerId);
  }
}

function requireOrganizer(organizerId: string | undefined): string {
  if (!organizerId) {
    throw new PermanentError(
      'app-only meetings need an organizer: sign in the meetings service user once (its account organizes the meetings) or switch the meetings feature back to delegated mode',
      'meeting_organizer_missing',
    );
  }
  return organizerId;
}

/** Graph's refusals, turned into what an admin has to do (graph-contract §7, §13: branch on status and code). */
export function explainMeetingError(e: unknown, kind: 'delegated' | 'app', organizerId?: string): unknown {
  if (!(e instanceof GraphRequestError)) return e;
  if (kind === 'app' && (e.status === 401 || e.status === 403)) {
    // cloud-communication-online-meeting-application-access-policy.md: without the policy Graph answers
    // `Unauthorized: App <id> is not authorized to Create meeting on behalf of user <id>`.
    return new PermanentError(
      `Teams refused to create the meeting app-only for organizer ${organizerId ?? '(none)'} (${e.status} ${e.code}). ` +
        'A Teams administrator must allow the app with an application access policy: ' +
        'New-CsApplicationAccessPolicy -Identity JiraBridge-Meetings -AppIds "<app client id>"; ' +
        `Grant-CsApplicationAccessPolicy -PolicyName JiraBridge-Meetings -Identity "${organizerId ?? '<organizer object id>'}" ` +
        '(changes can take up to 30 minutes), and the tenant must have consented to OnlineMeetings.ReadWrite.All. ' +
        'Or switch the meetings feature to delegated mode.',
      'meeting_app_access_policy_missing',
      { status: e.status, graphCode: e.code, requestId: e.requestId },
      { cause: e },
    );
  }
  if (e.status === 401 || e.status === 403) {
    return new PermanentError(
      `Teams refused to create the meeting as the meetings service user (${e.status} ${e.code}): the account needs a Teams licence ` +
        'with meetings enabled and the OnlineMeetings.ReadWrite permission (admin consent for the meetings feature, then sign the service user in again)',
      'meeting_forbidden',
      { status: e.status, graphCode: e.code, requestId: e.requestId },
      { cause: e },
    );
  }
  if (e.status === 400) {
    return new PermanentError(`Graph rejected the meeting request (${e.code}): ${e.message}`, 'meeting_rejected', { graphCode: e.code, requestId: e.requestId }, { cause: e });
  }
  return e;
}
