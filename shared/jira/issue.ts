// The issue as the app sees it, read from any of the shapes Jira sends: a REST v3 issue, a webhook's `issue`, or an
// Automation "Send web request" body. They share `{ id, key, fields }` but differ in details the real payloads show
// (../shared/fixtures/jira/README.md): ids are strings in webhooks and numbers in Automation bodies, descriptions
// are wiki strings, ADF documents or null (and the string "None" in one edited sample), and e-mails are usually
// hidden. Nothing here fetches a URL from the payload.
import { isIssueKey } from '../ids.js';

export interface JiraUser {
  accountId: string;
  displayName?: string;
  /** Present only when the user's profile visibility allows it; never rely on it. */
  emailAddress?: string;
}

/** Custom field ids differ per site; the project settings name them. */
export interface JiraFieldIds {
  requestType: string;
  requestParticipants: string;
  responders: string;
}

export const defaultFieldIds: JiraFieldIds = {
  // JSM Cloud defaults on new sites; admins override them per project when their site differs.
  requestType: 'customfield_10010',
  requestParticipants: 'customfield_10027',
  responders: 'customfield_10041',
};

export interface JiraIssue {
  id: string;
  key: string;
  projectKey: string;
  projectType?: string;
  summary: string;
  description: string;
  issueType: string;
  priority?: string;
  status?: string;
  statusCategory?: string;
  resolution?: string;
  /** When the current resolution was set (Jira's `resolutiondate`); a reopened and re-resolved issue gets a new one. */
  resolutionDate?: string;
  labels: string[];
  assignee?: JiraUser;
  reporter?: JiraUser;
  requestType?: string;
  requestParticipants: JiraUser[];
  responders: JiraUser[];
  /** Responders that are teams (JSM lets a team respond to an incident); their members are not listed here. */
  responderTeams?: JiraTeam[];
  /** Only when asked for (a separate Jira call): see JiraApi.getIssue's `watchers` option. */
  watchers?: JiraUser[];
}

/** A responder team: identity ARI `ari:cloud:identity::team/<id>` (Opsgenie teams: `ari:cloud:opsgenie:…:team/<id>`). */
export interface JiraTeam {
  id: string;
  name?: string;
}

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const asString = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' && v !== 'None' ? v : typeof v === 'number' ? String(v) : undefined;

export function parseUser(value: unknown): JiraUser | undefined {
  const o = asObject(value);
  // JSM responders carry an identity ARI instead of an accountId (`ari:cloud:identity::user/<accountId>`); team
  // responders (`::team/<id>`) are not people: `parseTeams` reads them.
  const ari = asString(o?.ari);
  const accountId = asString(o?.accountId) ?? (ari && /^ari:cloud:identity::user\/(.+)$/.exec(ari)?.[1]);
  if (!o || !accountId) return undefined;
  // Automation URL-encodes some accountIds (`557058%3A…`); Jira's own form has the colon.
  const decoded = accountId.includes('%3A') ? decodeURIComponent(accountId) : accountId;
  return { accountId: decoded, displayName: asString(o.displayName) ?? (ari ? asString(o.name) : undefined), emailAddress: asString(o.emailAddress) };
}

function parseUsers(value: unknown): JiraUser[] {
  if (!Array.isArray(value)) return [];
  // Responders can be teams (`{ type: 'team', ... }`) as well as users; only users have an accountId.
  return value.map(parseUser).filter((u): u is JiraUser => Boolean(u));
}

/**
 * The teams among JSM responders. The JSM Incidents REST API returns responders as `{ ari }` with user and team
 * ARIs ("responders can be both user and team responders", developer.atlassian.com/cloud/incidents/rest/
 * api-group-responders); the issue field carries the same ARI with a display `name`.
 */
function parseTeams(value: unknown): JiraTeam[] {
  if (!Array.isArray(value)) return [];
  const teams: JiraTeam[] = [];
  for (const entry of value) {
    const o = asObject(entry);
    const ari = asString(o?.ari);
    const id = (ari && /^ari:cloud:[a-z-]+:[^:]*:team\/(.+)$/.exec(ari)?.[1]) || (o?.type === 'team' ? asString(o.id) : undefined);
    if (id) teams.push({ id, name: asString(o?.name) ?? asString(o?.displayName) });
  }
  return teams;
}

/** Plain text of a description: wiki string, ADF document, or nothing. */
export function descriptionText(value: unknown): string {
  if (typeof value === 'string') return value === 'None' ? '' : value;
  const doc = asObject(value);
  if (!doc) return '';
  const parts: string[] = [];
  const walk = (node: unknown) => {
    const n = asObject(node);
    if (!n) return;
    if (n.type === 'text' && typeof n.text === 'string') parts.push(n.text);
    if (n.type === 'hardBreak') parts.push('\n');
    // Mentions keep the name as shown (`attrs.text`, e.g. "@Pat"); without it "@Pat please look" lost its subject.
    // https://developer.atlassian.com/cloud/jira/platform/apis/document/nodes/mention/
    if (n.type === 'mention' && typeof asObject(n.attrs)?.text === 'string') parts.push(asObject(n.attrs)!.text as string);
    if (Array.isArray(n.content)) {
      n.content.forEach(walk);
      if (n.type === 'paragraph' || n.type === 'heading' || n.type === 'listItem') parts.push('\n');
    }
  };
  walk(doc);
  return parts.join('').trim();
}

function requestTypeName(value: unknown): string | undefined {
  const o = asObject(value);
  return asString(asObject(o?.requestType)?.name) ?? asString(o?.name);
}

/** Reads an issue object; `undefined` when it has no key (the caller reports where it looked). */
export function parseIssue(value: unknown, fieldIds: JiraFieldIds = defaultFieldIds): JiraIssue | undefined {
  const o = asObject(value);
  const key = asString(o?.key);
  if (!o || !key || !isIssueKey(key)) return undefined;
  const f = asObject(o.fields) ?? {};
  const project = asObject(f.project);
  return {
    id: asString(o.id) ?? '',
    key,
    projectKey: asString(project?.key) ?? key.split('-')[0]!,
    projectType: asString(project?.projectTypeKey),
    summary: asString(f.summary) ?? '',
    description: descriptionText(f.description),
    issueType: asString(asObject(f.issuetype)?.name) ?? '',
    priority: asString(asObject(f.priority)?.name),
    status: asString(asObject(f.status)?.name),
    statusCategory: asString(asObject(asObject(f.status)?.statusCategory)?.key),
    resolution: asString(asObject(f.resolution)?.name),
    // Some renderings hold the string "None" for an empty field (fixtures README, issue_created.epic.json).
    resolutionDate: asString(f.resolutiondate) === 'None' ? undefined : asString(f.resolutiondate),
    labels: Array.isArray(f.labels) ? f.labels.filter((l): l is string => typeof l === 'string') : [],
    assignee: parseUser(f.assignee),
    reporter: parseUser(f.reporter),
    requestType: requestTypeName(f[fieldIds.requestType]),
    requestParticipants: parseUsers(f[fieldIds.requestParticipants]),
    responders: parseUsers(f[fieldIds.responders]),
    responderTeams: parseTeams(f[fieldIds.responders]),
  };
}

/** Jira issue keys: the one rule is in shared/ids.ts; re-exported for the callers that parse issues. */
export { isIssueKey };

/** The issue's people, de-duplicated by accountId, for the fields a project chose. */
export type MemberField = 'assignee' | 'reporter' | 'requestParticipants' | 'responders' | 'watchers';

export function issuePeople(issue: JiraIssue, fields: readonly MemberField[]): JiraUser[] {
  const seen = new Map<string, JiraUser>();
  for (const field of fields) {
    const value = issue[field];
    for (const user of Array.isArray(value) ? value : value ? [value] : []) {
      if (!seen.has(user.accountId)) seen.set(user.accountId, user);
    }
  }
  return [...seen.values()];
}

/** The responder teams, when the project puts responders into the chat. */
export function issueTeams(issue: JiraIssue, fields: readonly MemberField[]): JiraTeam[] {
  return fields.includes('responders') ? (issue.responderTeams ?? []) : [];
}
