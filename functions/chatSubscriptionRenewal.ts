// Timer (hourly): queues the renewal or re-creation of every chat subscription that expires within a day or is
// not active (Teams chatMessage subscriptions last at most 3 days: graph-contract §10).
import './lib/invocation.js';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { renewDueSubscriptions } from '../shared/chatToJira/subscriptions.js';
import { getRuntime } from '../shared/runtime.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';

export async function chatSubscriptionRenewal(_timer: Timer, _context: InvocationContext): Promise<void> {
  await renewDueSubscriptions(createWorkflowDeps(getRuntime()));
}

app.timer('chatSubscriptionRenewal', { schedule: '0 23 * * * *', handler: chatSubscriptionRenewal });
