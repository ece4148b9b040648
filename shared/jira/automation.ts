// Jira Automation's "Send web request" offers three bodies, and all three work here:
// - Issue data (Automation format): a bare issue object `{ id, key, fields, ... }` (ids may be numbers);
// - Issue data (Jira format): `{ "issue": { id, key, fields, ... } }`;
// - Custom data: a small JSON document the admin writes with smart values, `{ "issueKey": "{{issue.key}}", ... }`
//   plus the action's parameters (documented per action in the README).
// https://support.atlassian.com/cloud-automation/docs/issue-data-automation-format-payload-for-send-web-request
// https://support.atlassian.com/cloud-automation/docs/issue-data-jira-format-payload-for-send-web-request-action
import { z } from 'zod';
import type { PublicAction } from '../actions.js';
import { isIssueKey } from './issue.js';
import type { ParseResult } from './events.js';
import { parseJiraDateTime } from './dates.js';

export type AutomationFormat = 'automation' | 'jira' | 'custom';

export interface AutomationRequest {
  issueKey: string;
  format: AutomationFormat;
  params: Record<string, unknown>;
}

// A smart value with no value renders as an empty string (`"members": ["{{issue.assignee.accountId}}"]` becomes
// `[""]` for an unassigned issue; `"start": "{{issue.customfield_10050}}"` becomes `""` when the field is empty).
// Such a value means "not given", not a mistake: blanks are dropped from lists and an optional field that renders
// blank is absent (its default applies). ../shared/contracts/jira-automation.md, "Empty and list values".
const blankAsAbsent = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const withoutBlanks = (value: unknown) => (Array.isArray(value) ? value.filter((v) => blankAsAbsent(v) !== undefined) : value);
const optionalBlank = <T extends z.ZodType>(schema: T) => z.preprocess(blankAsAbsent, schema.optional());

const email = z.string().trim().email();
/** A date-time as Automation renders it (see ./dates.ts), carried on as ISO 8601 in UTC. */
const jiraDateTime = z.string().transform((value, ctx) => {
  const parsed = parseJiraDateTime(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  }
  return parsed.value.toISOString();
});
/** People given in custom data: Atlassian accountIds or e-mail addresses. */
const people = z.preprocess(withoutBlanks, z.array(z.string().trim().min(1).max(320)).max(100));

const chatParams = z.object({
  topic: z.string().max(1000).optional(),
  members: people.optional(),
  message: z.string().max(20_000).optional(),
});

/** The custom-data fields each action accepts besides `issueKey`. Unknown fields are refused, so typos surface. */
export const customDataSchemas: Record<PublicAction, z.ZodObject> = {
  'incident-chat': chatParams,
  'customer-chat': chatParams,
  'epic-chat': chatParams,
  chat: chatParams,
  'sync-members': z.object({ members: people.optional() }),
  meeting: z.object({
    subject: z.string().max(255).optional(),
    start: optionalBlank(jiraDateTime),
    end: optionalBlank(jiraDateTime),
    createChat: z.boolean().optional(),
  }),
  'stakeholder-update': z.object({
    message: z.string().min(1).max(20_000),
    subject: z.string().max(255).optional(),
    recipients: z.preprocess(withoutBlanks, z.array(email).max(100)).optional(),
  }),
  booking: z.object({
    serviceId: optionalBlank(z.string().min(1)),
    start: optionalBlank(jiraDateTime),
    customerEmail: optionalBlank(email),
    customerName: optionalBlank(z.string().max(255)),
    staffMemberId: optionalBlank(z.string()),
    cancel: z.boolean().optional(),
  }),
  'close-chat': z.object({
    summary: z.string().max(20_000).optional(),
    renameTopic: z.boolean().optional(),
  }),
};

export const issueKeyLocations = 'issueKey (custom data), issue.key (Jira format) and key (Automation format)';

export function parseAutomationBody(action: PublicAction, body: unknown): ParseResult<AutomationRequest> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, message: 'body must be a JSON object' };
  const b = body as Record<string, unknown>;

  if ('issueKey' in b) {
    const { issueKey, ...rest } = b;
    if (typeof issueKey !== 'string' || !isIssueKey(issueKey.trim())) {
      return { ok: false, message: `issueKey must be a Jira issue key such as INC-42 (got ${describe(issueKey)})` };
    }
    const parsed = customDataSchemas[action].strict().safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? issue.path.join('.') : (issue as { keys?: string[] }).keys?.join(', ') ?? 'body';
      return { ok: false, message: `${where}: ${issue.message}` };
    }
    // Blank fields parsed as absent are left out, so the queued job reads as if the rule had not sent them.
    const params = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
    return { ok: true, value: { issueKey: issueKey.trim(), format: 'custom', params } };
  }

  const wrapped = b.issue as Record<string, unknown> | undefined;
  if (wrapped && typeof wrapped === 'object' && typeof wrapped.key === 'string') {
    if (!isIssueKey(wrapped.key)) return { ok: false, message: `issue.key is not a Jira issue key (got ${describe(wrapped.key)})` };
    return { ok: true, value: { issueKey: wrapped.key, format: 'jira', params: {} } };
  }

  if (typeof b.key === 'string' && 'fields' in b) {
    if (!isIssueKey(b.key)) return { ok: false, message: `key is not a Jira issue key (got ${describe(b.key)})` };
    return { ok: true, value: { issueKey: b.key, format: 'automation', params: {} } };
  }

  return { ok: false, message: `no issue key found: looked at ${issueKeyLocations}` };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return value === null ? 'null' : typeof value;
}
