// Queue trigger: mail → Jira catch-ups, one message per mail source to read (from the timer in mailInCatchUp.ts,
// on demand from the manage API, or resumed after the account signed in again). Logic in shared/mailIn/ingest.ts.
import './lib/invocation.js';
import { app, type InvocationContext } from '@azure/functions';
import { runMailInJob } from '../shared/mailIn/ingest.js';
import { getRuntime, lazily } from '../shared/runtime.js';
import { queueNames } from '../shared/storage/queues.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';

// Built on the first message, not at import: a refused configuration must not stop the bundle from loading.
const deps = lazily(() => createWorkflowDeps(getRuntime()));

export async function mailInJobs(message: unknown, context: InvocationContext): Promise<void> {
  await runMailInJob(deps(), message, { queue: queueNames.mailIn, dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1) });
}

app.storageQueue('mailInJobs', { queueName: queueNames.mailIn, connection: 'AzureWebJobsStorage', handler: mailInJobs });
