// Dispatch for the chat-jobs and member-jobs queues.
import type { JobHandler } from '../jobs/runJob.js';
import { PermanentError } from '../errors.js';
import { createChatJob } from './createChat.js';
import { closeChatJob } from './closeChat.js';
import { chatUpdateJob } from './chatUpdate.js';
import { syncMembersJob } from './syncMembers.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { recordIfChatGone } from '../chats/chatGone.js';

export function chatJobHandler(deps: WorkflowDeps): JobHandler {
  const dispatch = chatJobDispatch(deps);
  return async (job, context) => {
    try {
      return await dispatch(job, context);
    } catch (e) {
      // A 404 for the chat, in any chat job: recorded once as gone, not retried, not recreated.
      throw await recordIfChatGone(deps, context, job, e);
    }
  };
}

function chatJobDispatch(deps: WorkflowDeps): JobHandler {
  return (job, context) => {
    switch (job.action) {
      case 'incident-chat':
      case 'customer-chat':
      case 'epic-chat':
      case 'chat':
        return createChatJob(job, context, deps);
      case 'close-chat':
        return closeChatJob(job, context, deps);
      case 'chat-update':
        return chatUpdateJob(job, context, deps);
      case 'sync-members':
        return syncMembersJob(job, context, deps);
      default:
        throw new PermanentError(`action ${job.action} does not belong on this queue`, 'wrong_queue');
    }
  };
}
