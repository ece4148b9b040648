// `meeting` jobs: a Teams online meeting for an issue, created by the meetings service user (or app-only for its
// account) with createOrGet keyed on the site and issue, so a repeated job gets the same meeting back. The join
// link goes to the issue's chat once (a reservation row in the `meetings` table guards the post) and onto the
// issue as a remote link (Jira upserts on the link's globalId, so repeating it is harmless).
import type { z } from 'zod';
import { PermanentError } from '../errors.js';
import { findChatLink } from '../chats/chatLinks.js';
import { escapeHtml, link as htmlLink } from '../chats/html.js';
import { postChatMessage } from '../graph/messages.js';
import { issueUrl } from '../jira/client.js';
import { customDataSchemas } from '../jira/automation.js';
import { issuePeople, type JiraIssue } from '../jira/issue.js';
import type { JobMessage } from '../jobs/messages.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import { once } from '../jobs/once.js';
import { createOrGetMeeting, meetingExternalId, type MeetingAttendee } from '../meetings/onlineMeeting.js';
import type { CreatedOnlineMeeting } from '../graph/meetings.js';
import { renderIssueTemplate, singleLine } from '../meetings/template.js';
import { mapThroughChatsSession } from '../meetings/people.js';
import type { ProjectSettings } from '../rules/projectSettings.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import { readEntity, tableNames, upsertEntity } from '../storage/tables.js';
import { ensureChatForIssue, requireProject } from './createChat.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { GraphSession } from '../graph/session.js';

export const defaultMeetingSubject = 'Meeting: [{key}] {summary}';
const defaultMeetingMinutes = 60;

/** The `meetings` row per (site, issue id): the meeting and what was done with it. */
export interface MeetingRecord {
  issueKey: string;
  externalId: string;
  meetingId: string;
  joinWebUrl: string;
  subject: string;
  startDateTime: string;
  endDateTime: string;
  tenantId: string;
  updatedAt: string;
}

/** The Automation custom-data fields (shared/jira/automation.ts validates them at intake; rules are checked here). */
export interface MeetingParams {
  subject?: string;
  start?: string;
  end?: string;
  createChat?: boolean;
}

export async function meetingJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const params = parseParams(customDataSchemas.meeting, job.params, 'meeting') as MeetingParams;
  const settings = await requireProject(deps, job.siteId, job.issueKey);
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, settings.fieldIds);

  let chat = await findChatLink(deps, job.siteId, issue.id);
  if (!chat && params.createChat) {
    await ensureChatForIssue(deps, context, { siteId: job.siteId, issueKey: issue.key, kind: chatKindFor(issue), jobId: job.jobId });
    chat = await findChatLink(deps, job.siteId, issue.id);
  }

  const { start, end } = meetingTimes(params, deps.clock.now());
  const subject = singleLine(renderIssueTemplate(params.subject ?? defaultMeetingSubject, issue), 255);
  const externalId = meetingExternalId(job.siteId, issue.id);

  const sessions: GraphSession[] = [];
  try {
    const graph = await deps.graphFor(settings.tenantId, 'meetings', { allowAppOnly: true });
    sessions.push(graph);
    const organizerId = graph.kind === 'app' ? (await readServiceUser(deps.tables, settings.tenantId, 'meetings'))?.objectId : graph.serviceUserObjectId;

    const attendees = (await meetingAttendees(deps, context, sessions, { job, issue, settings, chatMembers: chat?.members })).filter(
      (a) => a.objectId !== organizerId,
    );
    const { meeting, created } = await createOrGetMeeting(graph, { externalId, subject, start, end, attendees }, organizerId);
    await recordMeeting(deps, job.siteId, issue, { externalId, meeting, subject, tenantId: settings.tenantId });

    await jira.upsertRemoteLink(issue.key, {
      globalId: `m365-meeting:${externalId}`,
      url: meeting.joinWebUrl,
      title: `Teams meeting: ${meeting.subject ?? subject}`,
      summary: `${formatUtc(meeting.startDateTime)} – ${formatUtc(meeting.endDateTime)}`,
    });

    let chatOutcome = 'no chat for the issue';
    if (chat?.chatId) {
      const chatId = chat.chatId;
      const chatGraph = await deps.graphFor(chat.tenantId, 'chats');
      sessions.push(chatGraph);
      const table = await deps.tables.table(tableNames.meetings);
      const posted = await once(
        table,
        job.siteId,
        `${issue.id}|chat-post|${meeting.id}`,
        { clock: deps.clock, owner: job.jobId, what: `posting the meeting link for ${issue.key}` },
        async () => (await postChatMessage(chatGraph, chatId, meetingHtml(jira.baseUrl, issue, meeting, subject))).messageId,
      );
      chatOutcome = posted.status === 'ran' ? 'join link posted to the chat' : posted.status === 'done-before' ? 'join link was already in the chat' : `chat post skipped: ${posted.note}`;
    }
    return {
      outcome: 'done',
      detail: `meeting ${created ? 'created' : 'already existed'} (${meeting.id}); ${chatOutcome}; remote link on ${issue.key}; ${attendees.length} attendee(s)`,
    };
  } finally {
    for (const s of sessions) context.graphRequestIds.push(...s.requestIds);
  }
}

/** start/end from the request, else now and one hour (createOrGet's own default, made explicit). */
export function meetingTimes(params: Pick<MeetingParams, 'start' | 'end'>, now: Date): { start: Date; end: Date } {
  const start = params.start ? new Date(params.start) : now;
  const end = params.end ? new Date(params.end) : new Date(start.getTime() + defaultMeetingMinutes * 60_000);
  if (end.getTime() <= start.getTime()) {
    throw new PermanentError(`the meeting must end after it starts (start ${start.toISOString()}, end ${end.toISOString()})`, 'meeting_times_invalid');
  }
  return { start, end };
}

/**
 * The chat's people when there is a chat (the link keeps accountId → Entra id of everyone the app put in it);
 * otherwise the issue's people, mapped through the chats feature's session. No chats feature: a meeting without
 * invitees, still joinable from the link.
 */
async function meetingAttendees(
  deps: WorkflowDeps,
  context: JobContext,
  sessions: GraphSession[],
  input: { job: JobMessage; issue: JiraIssue; settings: ProjectSettings; chatMembers?: Record<string, string> },
): Promise<MeetingAttendee[]> {
  if (input.chatMembers && Object.keys(input.chatMembers).length) {
    return [...new Set(Object.values(input.chatMembers))].map((id) => (id.includes('@') ? { upn: id } : { objectId: id }));
  }
  const people = issuePeople(input.issue, input.settings.memberFields);
  const mapped = await mapThroughChatsSession(deps, context, sessions, input.settings.tenantId, people, { siteId: input.job.siteId, issueKey: input.issue.key });
  return mapped.map((m) => ({ objectId: m.entraObjectId.includes('@') ? undefined : m.entraObjectId, upn: m.userPrincipalName ?? (m.entraObjectId.includes('@') ? m.entraObjectId : undefined) }));
}

async function recordMeeting(
  deps: WorkflowDeps,
  siteId: string,
  issue: JiraIssue,
  m: { externalId: string; meeting: CreatedOnlineMeeting; subject: string; tenantId: string },
): Promise<void> {
  const table = await deps.tables.table(tableNames.meetings);
  const record: MeetingRecord = {
    issueKey: issue.key,
    externalId: m.externalId,
    meetingId: m.meeting.id,
    joinWebUrl: m.meeting.joinWebUrl,
    subject: m.meeting.subject ?? m.subject,
    startDateTime: m.meeting.startDateTime,
    endDateTime: m.meeting.endDateTime,
    tenantId: m.tenantId,
    updatedAt: deps.clock.now().toISOString(),
  };
  // createOrGet returns the same meeting every time, so the last write is as good as the first.
  await upsertEntity(table, siteId, issue.id, record);
}

export async function readMeeting(deps: Pick<WorkflowDeps, 'tables'>, siteId: string, issueId: string) {
  return readEntity<MeetingRecord>(await deps.tables.table(tableNames.meetings), siteId, issueId);
}

function meetingHtml(jiraBaseUrl: string, issue: JiraIssue, meeting: CreatedOnlineMeeting, subject: string): string {
  return (
    `<p>📅 <b>Teams meeting</b> for ${htmlLink(issueUrl(jiraBaseUrl, issue.key), issue.key)}: ${escapeHtml(meeting.subject ?? subject)}</p>` +
    `<p>${escapeHtml(formatUtc(meeting.startDateTime))} – ${escapeHtml(formatUtc(meeting.endDateTime))}</p>` +
    `<p>${htmlLink(meeting.joinWebUrl, 'Join the meeting')}</p>`
  );
}

export function formatUtc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function chatKindFor(issue: JiraIssue) {
  if (/incident/i.test(issue.issueType)) return 'incident' as const;
  if (/^epic$/i.test(issue.issueType)) return 'epic' as const;
  return issue.requestType ? ('customer' as const) : ('generic' as const);
}

/** Job params come from Automation (validated at intake) or a rule (validated here): one error names the field. */
export function parseParams(schema: z.ZodType, params: unknown, action: string): unknown {
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PermanentError(`${action} parameters: ${issue.path.join('.') || 'params'}: ${issue.message}`, 'params_invalid');
  }
  return parsed.data;
}
