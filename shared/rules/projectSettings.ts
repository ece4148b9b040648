// Per-project settings (site + project key): on/off, the Microsoft tenant, and the rules that turn Jira events into
// actions. Validated with zod at the admin API, stored as one row, served from a short in-memory cache on the
// webhook path.
import { tenantIdSchema } from '../ids.js';
import { z } from 'zod';
import { actions } from '../actions.js';
import { defaultFieldIds } from '../jira/issue.js';

export const triggers = ['created', 'updated', 'members-changed', 'fields-changed', 'resolved', 'reopened'] as const;

export const ruleSchema = z.object({
  when: z.enum(triggers),
  action: z.enum(actions),
  /** Each filter, when given, must contain the issue's value (case-insensitive). Labels: any one matches. */
  issueTypes: z.array(z.string().min(1)).max(50).optional(),
  priorities: z.array(z.string().min(1)).max(50).optional(),
  requestTypes: z.array(z.string().min(1)).max(100).optional(),
  labels: z.array(z.string().min(1)).max(50).optional(),
  /** For `fields-changed`: which changes count. */
  fields: z.array(z.enum(['priority', 'status', 'assignee'])).max(3).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type Rule = z.infer<typeof ruleSchema>;

// `watchers` costs one more Jira call per job, so it is opt-in.
export const memberFieldSchema = z.enum(['assignee', 'reporter', 'requestParticipants', 'responders', 'watchers']);

export const projectSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  /** Entra tenant id (GUID) whose service users act for this project. */
  tenantId: tenantIdSchema,
  /** JSM request types whose new requests get a customer chat (used by the default rules). */
  customerChatRequestTypes: z.array(z.string().min(1)).max(100).default([]),
  /** Explicit rules; when absent the defaults below apply. */
  rules: z.array(ruleSchema).max(100).optional(),
  /** `{key}`, `{summary}`, `{issueType}`, `{priority}` are replaced; the result is made Graph-safe (≤250, no `:`). */
  topicTemplate: z.string().min(1).max(500).default('[{key}] {summary}'),
  memberFields: z.array(memberFieldSchema).min(1).default(['assignee', 'reporter', 'requestParticipants', 'responders']),
  /** Remove people from the chat when they leave the issue (off by default: people keep the history they saw). */
  removeDepartedMembers: z.boolean().default(false),
  renameOnResolve: z.boolean().default(true),
  resolvedTopicPrefix: z.string().max(40).default('[Resolved] '),
  fieldIds: z
    .object({
      requestType: z.string().regex(/^customfield_\d+$/),
      requestParticipants: z.string().regex(/^customfield_\d+$/),
      responders: z.string().regex(/^customfield_\d+$/),
    })
    .default(defaultFieldIds),
  stakeholders: z.array(z.string().email()).max(200).default([]),
  /** Send stakeholder mail as this shared mailbox (the mail service user needs Send As on it). */
  stakeholderMailFrom: z.string().email().optional(),
  bookings: z.object({ businessId: z.string().min(1), serviceId: z.string().min(1).optional() }).optional(),
  /**
   * Chat → Jira (shared/chatToJira/): commands in the issue's chat (`/note`, `/reply`, `/priority`, `/assign`,
   * `/status`) reach the issue; optionally every human message is mirrored as an internal note, and the chat's
   * transcript is added as one internal comment when the issue is resolved. Needs the tenant's `chat-to-jira`
   * consent and service user.
   */
  chatToJira: z
    .object({
      enabled: z.boolean().default(false),
      mirrorMessages: z.boolean().default(false),
      transcriptOnResolve: z.boolean().default(false),
    })
    .strict()
    .default({ enabled: false, mirrorMessages: false, transcriptOnResolve: false }),
});

export type ProjectSettings = z.infer<typeof projectSettingsSchema>;
export type ProjectSettingsInput = z.input<typeof projectSettingsSchema>;

/** The rules a project gets until its admin writes its own. */
export function defaultRules(settings: Pick<ProjectSettings, 'customerChatRequestTypes'> & Partial<Pick<ProjectSettings, 'bookings'>>): Rule[] {
  const rules: Rule[] = [
    { when: 'created', action: 'incident-chat', issueTypes: ['[System] Incident', 'Incident'] },
    { when: 'created', action: 'epic-chat', issueTypes: ['Epic'] },
    { when: 'members-changed', action: 'sync-members' },
    { when: 'resolved', action: 'close-chat' },
  ];
  // A project with a Bookings business: resolving the request cancels its appointment (if it has one).
  if (settings.bookings) rules.push({ when: 'resolved', action: 'cancel-booking' });
  if (settings.customerChatRequestTypes.length > 0) {
    rules.splice(1, 0, { when: 'created', action: 'customer-chat', requestTypes: settings.customerChatRequestTypes });
  }
  return rules;
}

export function effectiveRules(settings: ProjectSettings): Rule[] {
  return settings.rules ?? defaultRules(settings);
}
