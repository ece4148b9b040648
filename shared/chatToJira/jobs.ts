// Dispatch for the chat-to-jira-jobs queue.
import { PermanentError } from '../errors.js';
import type { JobHandler } from '../jobs/runJob.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { chatMessageJob } from './messages.js';
import { subscriptionJobRun } from './subscriptions.js';

export function chatToJiraJobHandler(deps: WorkflowDeps): JobHandler {
  return (job, context) => {
    switch (job.action) {
      case 'chat-message':
        return chatMessageJob(job, context, deps);
      case 'chat-subscription':
        return subscriptionJobRun(job, context, deps);
      default:
        throw new PermanentError(`action ${job.action} does not belong on this queue`, 'wrong_queue');
    }
  };
}
