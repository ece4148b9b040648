// Turns a Jira webhook body into the small event the rules look at. The event is only a trigger: jobs read the
// issue fresh from Jira when they run, so a late or duplicated delivery cannot make a chat show stale data.
import { defaultFieldIds, parseIssue, type JiraFieldIds, type JiraIssue } from './issue.js';

/**
 * How long the same signed body counts as the same delivery, on the acknowledgement path (intake/) and when the
 * event job fans out (workflows/fanOutEvent.ts). Jira retries a failed delivery within minutes
 * (https://developer.atlassian.com/cloud/jira/platform/webhooks/); a day covers those retries and a
 * replay by whoever captured one, and keeps the `deliveries` table's digest rows meaningful without a sweep.
 */
export const bodyDedupWindowMs = 24 * 60 * 60 * 1000;

export type Trigger = 'created' | 'updated' | 'deleted' | 'commented';

/** What changed, as far as rules care. */
export interface EventChanges {
  assignee: boolean;
  requestParticipants: boolean;
  responders: boolean;
  priority: boolean;
  status: boolean;
  /** `resolved`: a resolution was set; `reopened`: it was cleared. */
  resolution?: 'resolved' | 'reopened';
}

export interface JiraEvent {
  trigger: Trigger;
  /** `jira:issue_created`, `comment_created`, … as Jira sent it. */
  webhookEvent: string;
  issueKey: string;
  issueId: string;
  projectKey: string;
  issueType: string;
  priority?: string;
  labels: string[];
  requestType?: string;
  /** JSM service desk project (`projectTypeKey: service_desk`) when the payload says so. */
  projectType?: string;
  changes: EventChanges;
  /** Jira's event time (ms since epoch) when present; used to order, never to skip. */
  timestamp?: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

const triggers: Record<string, Trigger> = {
  'jira:issue_created': 'created',
  'jira:issue_updated': 'updated',
  'jira:issue_deleted': 'deleted',
  comment_created: 'commented',
};

/** Whether the bridge reacts to this `webhookEvent` at all; Jira sends many others (worklogs, versions, sprints). */
export function isSupportedWebhookEvent(webhookEvent: string): boolean {
  return Object.hasOwn(triggers, webhookEvent);
}

export const noChanges: EventChanges = {
  assignee: false,
  requestParticipants: false,
  responders: false,
  priority: false,
  status: false,
};

export function parseWebhookEvent(body: unknown, fieldIds: JiraFieldIds = defaultFieldIds): ParseResult<JiraEvent> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, message: 'body must be a JSON object' };
  const b = body as Record<string, unknown>;
  const webhookEvent = typeof b.webhookEvent === 'string' ? b.webhookEvent : undefined;
  if (!webhookEvent) return { ok: false, message: 'webhookEvent is missing' };
  const trigger = triggers[webhookEvent];
  if (!trigger) return { ok: false, message: `webhookEvent ${JSON.stringify(webhookEvent).slice(0, 80)} is not supported` };
  const issue = parseIssue(b.issue, fieldIds);
  if (!issue) return { ok: false, message: 'no issue key found at issue.key' };
  const changes = trigger === 'created' ? { ...noChanges } : changesFrom(b.changelog, fieldIds);
  return { ok: true, value: toEvent(trigger, webhookEvent, issue, changes, typeof b.timestamp === 'number' ? b.timestamp : undefined) };
}

export function toEvent(trigger: Trigger, webhookEvent: string, issue: JiraIssue, changes: EventChanges, timestamp?: number): JiraEvent {
  return {
    trigger,
    webhookEvent,
    issueKey: issue.key,
    issueId: issue.id,
    projectKey: issue.projectKey,
    issueType: issue.issueType,
    priority: issue.priority,
    labels: issue.labels,
    requestType: issue.requestType,
    projectType: issue.projectType,
    changes,
    timestamp,
  };
}

/** Reads a changelog's items. Field names vary in case (`Status` on create, `status` on transitions). */
export function changesFrom(changelog: unknown, fieldIds: JiraFieldIds = defaultFieldIds): EventChanges {
  const changes: EventChanges = { ...noChanges };
  const items = (changelog as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return changes;
  for (const raw of items) {
    // A hand-made or corrupted body may hold null or scalars here; skip them rather than throw (a 500 to Jira).
    if (!raw || typeof raw !== 'object') continue;
    const item = raw as { field?: unknown; fieldId?: unknown; from?: unknown; to?: unknown; toString?: unknown };
    const fieldId = typeof item.fieldId === 'string' ? item.fieldId : undefined;
    const field = typeof item.field === 'string' ? item.field.toLowerCase() : '';
    const id = fieldId ?? field;
    if (id === 'assignee') changes.assignee = true;
    else if (id === 'priority') changes.priority = true;
    else if (id === 'status') changes.status = true;
    else if (id === 'resolution') {
      const to = typeof item.to === 'string' ? item.to : null;
      changes.resolution = to ? 'resolved' : 'reopened';
    } else if (id === fieldIds.requestParticipants || field === 'request participants') changes.requestParticipants = true;
    else if (id === fieldIds.responders || field === 'responders') changes.responders = true;
  }
  return changes;
}
