// Decides what a Jira event should do for a project. Pure: the same event and settings always give the same
// actions, which is what the dry run shows an admin.
import type { JiraEvent } from '../jira/events.js';
import type { Action } from '../actions.js';
import { effectiveRules, type ProjectSettings, type Rule } from './projectSettings.js';

export interface PlannedAction {
  action: Action;
  params: Record<string, unknown>;
}

export type Decision = { kind: 'act'; actions: PlannedAction[] } | { kind: 'ignore'; reason: string };

export function decide(event: JiraEvent, settings: ProjectSettings | undefined): Decision {
  if (!settings) return { kind: 'ignore', reason: `project ${event.projectKey} is not configured for this site` };
  if (!settings.enabled) return { kind: 'ignore', reason: `project ${event.projectKey} is switched off` };
  // Comment events never post to Teams; in particular a comment chat → Jira wrote (attributed "from Teams",
  // shared/chatToJira/commands.ts `isFromTeams`) is never echoed back into the chat.
  if (event.trigger === 'deleted' || event.trigger === 'commented') {
    return { kind: 'ignore', reason: `${event.webhookEvent} events trigger no action` };
  }
  const planned = new Map<Action, PlannedAction>();
  for (const rule of effectiveRules(settings)) {
    if (firesOn(rule, event) && matchesFilters(rule, event)) {
      if (!planned.has(rule.action)) planned.set(rule.action, { action: rule.action, params: rule.params ?? {} });
    }
  }
  if (planned.size === 0) return { kind: 'ignore', reason: `no rule of project ${event.projectKey} wants ${describe(event)}` };
  return { kind: 'act', actions: [...planned.values()] };
}

function firesOn(rule: Rule, event: JiraEvent): boolean {
  const c = event.changes;
  switch (rule.when) {
    case 'created':
      return event.trigger === 'created';
    case 'updated':
      return event.trigger === 'updated';
    case 'members-changed':
      return event.trigger === 'updated' && (c.assignee || c.requestParticipants || c.responders);
    case 'fields-changed': {
      if (event.trigger !== 'updated') return false;
      const fields = rule.fields ?? ['priority', 'status', 'assignee'];
      return fields.some((f) => c[f]);
    }
    case 'resolved':
      return event.trigger === 'updated' && c.resolution === 'resolved';
    case 'reopened':
      return event.trigger === 'updated' && c.resolution === 'reopened';
  }
}

const includes = (list: readonly string[] | undefined, value: string | undefined) =>
  !list || (value !== undefined && list.some((v) => v.toLowerCase() === value.toLowerCase()));

function matchesFilters(rule: Rule, event: JiraEvent): boolean {
  return (
    includes(rule.issueTypes, event.issueType) &&
    includes(rule.priorities, event.priority) &&
    includes(rule.requestTypes, event.requestType) &&
    (!rule.labels || rule.labels.some((l) => event.labels.some((x) => x.toLowerCase() === l.toLowerCase())))
  );
}

function describe(event: JiraEvent): string {
  const what = event.trigger === 'created' ? 'created' : 'updated';
  return `a ${what} ${event.issueType || 'issue'} (${event.issueKey})`;
}
