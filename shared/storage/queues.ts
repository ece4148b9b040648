// Every queue the app uses, in one place. Functions bind to these names, the Bicep declares them (and their
// `-poison` twins, which the Functions host creates when a message fails `maxDequeueCount` times).

export const queueNames = {
  /** Verified, normalised Jira webhook events with the actions the project's rules chose; fanned out by `eventJobs`. */
  jiraEvents: 'jira-events',
  /** Create / close a chat for an issue, and post short updates to it. */
  chatJobs: 'chat-jobs',
  /** Keep a chat's members in step with Jira; member adds are paced (Graph allows 4 per minute per chat). */
  memberJobs: 'member-jobs',
  /** Teams online meetings for an issue. */
  meetingJobs: 'meeting-jobs',
  /** Stakeholder updates: chat post, mail and Jira comment. */
  stakeholderJobs: 'stakeholder-jobs',
  /** Microsoft Bookings appointments for JSM requests. */
  bookingJobs: 'booking-jobs',
  /** Chat → Jira: Graph change notifications on linked chats (one message each) and subscription upkeep. */
  chatToJiraJobs: 'chat-to-jira-jobs',
  /** Mail → Jira catch-ups: one message per mail source to read (timer, on demand, resumed after re-sign-in). */
  mailIn: 'mail-in-jobs',
} as const;

export type QueueName = (typeof queueNames)[keyof typeof queueNames];

export const allQueueNames: readonly QueueName[] = Object.values(queueNames);

/** The queue the Functions host moves a message to after its last failed attempt. */
export function poisonQueueName(queue: string): string {
  return `${queue}-poison`;
}
