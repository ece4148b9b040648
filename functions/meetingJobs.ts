// Queue trigger: Teams meetings for issues (meeting jobs).
import './lib/invocation.js';
import { app, type InvocationContext } from '@azure/functions';
import { getRuntime, lazily } from '../shared/runtime.js';
import { runJob, type JobHandler } from '../shared/jobs/runJob.js';
import { queueNames } from '../shared/storage/queues.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { meetingJob } from '../shared/workflows/meeting.js';
import { queueTrigger } from './lib/queue.js';

// Built on the first message, not at import: a refused configuration must not stop the bundle from loading.
const built = lazily(() => {
  const runtime = getRuntime();
  const deps = createWorkflowDeps(runtime);
  const handler: JobHandler = (job, context) => meetingJob(job, context, deps);
  return { runtime, handler };
});

export async function meetingJobs(message: unknown, context: InvocationContext): Promise<void> {
  const { runtime, handler } = built();
  await runJob(message, queueTrigger(queueNames.meetingJobs, context), handler, runtime);
}

app.storageQueue('meetingJobs', { queueName: queueNames.meetingJobs, connection: 'AzureWebJobsStorage', handler: meetingJobs });
