// Queue trigger: chat → Jira work (one Teams message each) and Graph subscription upkeep for linked chats.
import './lib/invocation.js';
import { app, type InvocationContext } from '@azure/functions';
import { chatToJiraJobHandler } from '../shared/chatToJira/jobs.js';
import { runJob } from '../shared/jobs/runJob.js';
import { getRuntime, lazily } from '../shared/runtime.js';
import { queueNames } from '../shared/storage/queues.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { queueTrigger } from './lib/queue.js';

// Built on the first message, not at import: a refused configuration must not stop the bundle from loading.
const built = lazily(() => {
  const runtime = getRuntime();
  return { runtime, handler: chatToJiraJobHandler(createWorkflowDeps(runtime)) };
});

export async function chatToJiraJobs(message: unknown, context: InvocationContext): Promise<void> {
  const { runtime, handler } = built();
  await runJob(message, queueTrigger(queueNames.chatToJiraJobs, context), handler, runtime);
}

app.storageQueue('chatToJiraJobs', { queueName: queueNames.chatToJiraJobs, connection: 'AzureWebJobsStorage', handler: chatToJiraJobs });
