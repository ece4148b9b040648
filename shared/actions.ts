// The actions a job can carry: the public ones Jira names in the Automation URL, the internal ones the app adds,
// and the chat kind each chat action makes. The vocabulary sits at the bottom because Jira parsing (jira/automation)
// and project rules (rules/) speak it as well as the queue messages (jobs/messages) that carry it.

/** Actions Jira can ask for (the public Automation URL names them) plus the ones rules add. */
export const publicActions = [
  'incident-chat',
  'customer-chat',
  'epic-chat',
  'chat',
  'sync-members',
  'meeting',
  'stakeholder-update',
  'booking',
  'close-chat',
] as const;
// chat-message: one Teams message a Graph change notification announced; chat-subscription: create, renew,
// reauthorize, recreate or delete a chat's Graph subscription (shared/chatToJira/).
export const internalActions = ['chat-update', 'cancel-booking', 'chat-message', 'chat-subscription'] as const;
export const actions = [...publicActions, ...internalActions] as const;

export type PublicAction = (typeof publicActions)[number];
export type Action = (typeof actions)[number];

export function isPublicAction(value: string): value is PublicAction {
  return (publicActions as readonly string[]).includes(value);
}

export const chatKinds = ['incident', 'customer', 'epic', 'generic'] as const;
export type ChatKind = (typeof chatKinds)[number];

/** Which chat an action creates or uses. */
export const chatKindOf: Partial<Record<Action, ChatKind>> = {
  'incident-chat': 'incident',
  'customer-chat': 'customer',
  'epic-chat': 'epic',
  chat: 'generic',
};
