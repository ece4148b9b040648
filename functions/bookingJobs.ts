// Queue trigger: Microsoft Bookings appointments for JSM requests (booking and cancel-booking jobs).
import './lib/invocation.js';
import { app, type InvocationContext } from '@azure/functions';
import { getRuntime, lazily } from '../shared/runtime.js';
import { runJob, type JobHandler } from '../shared/jobs/runJob.js';
import { queueNames } from '../shared/storage/queues.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { bookingJob } from '../shared/workflows/booking.js';
import { queueTrigger } from './lib/queue.js';

// Built on the first message, not at import: a refused configuration must not stop the bundle from loading.
const built = lazily(() => {
  const runtime = getRuntime();
  const deps = createWorkflowDeps(runtime);
  const handler: JobHandler = (job, context) => bookingJob(job, context, deps);
  return { runtime, handler };
});

export async function bookingJobs(message: unknown, context: InvocationContext): Promise<void> {
  const { runtime, handler } = built();
  await runJob(message, queueTrigger(queueNames.bookingJobs, context), handler, runtime);
}

app.storageQueue('bookingJobs', { queueName: queueNames.bookingJobs, connection: 'AzureWebJobsStorage', handler: bookingJobs });
