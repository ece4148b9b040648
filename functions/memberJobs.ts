// Queue trigger: keep chat members in step with Jira, paced to Graph's 4 member changes per minute per chat.
import './lib/invocation.js';
import { app, type InvocationContext } from '@azure/functions';
import { getRuntime, lazily } from '../shared/runtime.js';
import { runJob } from '../shared/jobs/runJob.js';
import { queueNames } from '../shared/storage/queues.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { chatJobHandler } from '../shared/workflows/chatJobs.js';
import { queueTrigger } from './lib/queue.js';

// Built on the first message, not at import: a refused configuration must not stop the bundle from loading.
const built = lazily(() => {
  const runtime = getRuntime();
  return { runtime, handler: chatJobHandler(createWorkflowDeps(runtime)) };
});

export async function memberJobs(message: unknown, context: InvocationContext): Promise<void> {
  const { runtime, handler } = built();
  await runJob(message, queueTrigger(queueNames.memberJobs, context), handler, runtime);
}

app.storageQueue('memberJobs', { queueName: queueNames.memberJobs, connection: 'AzureWebJobsStorage', handler: memberJobs });
