// Queue trigger: chat → Jira work (one Teams message each) and Graph subscription upkeep for linked chats.
import { app, type InvocationContext } from '@azure/functions';
import { chatToJiraJobHandler } from '../shared/chatToJira/jobs.js';
import { runJob } from '../shared/jobs/runJob.js';
import { getRuntime } from '../shared/runtime.js';
import { queueNames } from '../shared/storage/queues.js';
import { createWorkflowDeps } from '../shared/workflows/deps.js';
import { queueTrigger } from './lib/queue.js';

const runtime = getRuntime();
const handler = chatToJiraJobHandler(createWorkflowDeps(runtime));

export async function chatToJiraJobs(message: unknown, context: InvocationContext): Promise<void> {
  await runJob(message, queueTrigger(queueNames.chatToJiraJobs, context), handler, runtime);
}

app.storageQueue('chatToJiraJobs', { queueName: queueNames.chatToJiraJobs, connection: 'AzureWebJobsStorage', handler: chatToJiraJobs });
