// Queue messages: versioned, typed and validated on the way in (STYLE "Shape"). A message that fails validation is
// a permanent failure of that message, reported and never retried.
import { z } from 'zod';
import { queueNames, type QueueName } from '../storage/queues.js';
import { actions, type Action } from '../actions.js';

const actionQueues: Record<Action, QueueName> = {
  'incident-chat': queueNames.chatJobs,
  'customer-chat': queueNames.chatJobs,
  'epic-chat': queueNames.chatJobs,
  chat: queueNames.chatJobs,
  'close-chat': queueNames.chatJobs,
  'chat-update': queueNames.chatJobs,
  'sync-members': queueNames.memberJobs,
  meeting: queueNames.meetingJobs,
  'stakeholder-update': queueNames.stakeholderJobs,
  booking: queueNames.bookingJobs,
  'cancel-booking': queueNames.bookingJobs,
  'chat-message': queueNames.chatToJiraJobs,
  'chat-subscription': queueNames.chatToJiraJobs,
};

export function queueFor(action: Action): QueueName {
  return actionQueues[action];
}

const actionSchema = z.enum(actions);

export const jobMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal('job'),
  jobId: z.string().min(1),
  action: actionSchema,
  siteId: z.string().min(1),
  issueKey: z.string().min(1),
  source: z.enum(['webhook', 'automation', 'rule', 'replay', 'internal', 'graph']),
  /** Webhook delivery id (X-Atlassian-Webhook-Identifier) when the job came from one. */
  deliveryId: z.string().optional(),
  /** Action parameters from Automation custom data or a rule (validated per action by the workflow). */
  params: z.record(z.string(), z.unknown()).default({}),
  requestedAt: z.string(),
  /** How many times the job went back to the queue to wait (throttling, pacing, another worker's creation). */
  deferrals: z.number().int().min(0).default(0),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;
/** What a producer writes; defaults fill the rest when the job is read. */
export type NewJobMessage = z.input<typeof jobMessageSchema>;

export const eventMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal('jira.event'),
  jobId: z.string().min(1),
  siteId: z.string().min(1),
  deliveryId: z.string().optional(),
  /** SHA-256 (hex) of the raw body the signature covered: the delivery's identity when the id header is forged. */
  bodyDigest: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  issueKey: z.string().min(1),
  projectKey: z.string().min(1),
  webhookEvent: z.string(),
  actions: z.array(z.object({ action: actionSchema, params: z.record(z.string(), z.unknown()).default({}) })).min(1),
  receivedAt: z.string(),
});
export type EventMessage = z.infer<typeof eventMessageSchema>;
