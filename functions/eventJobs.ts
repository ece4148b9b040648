// Queue trigger: fan a verified Jira webhook event out into one job per action, once per delivery.
import './lib/invocation.js';
import { app, type InvocationContext } from '@azure/functions';
import { getRuntime } from '../shared/runtime.js';
import { queueNames } from '../shared/storage/queues.js';
import { runEventJob } from '../shared/workflows/fanOutEvent.js';


export async function eventJobs(message: unknown, context: InvocationContext): Promise<void> {
  // The runtime is built on the first message, not at import (a refused configuration must not stop the bundle).
  await runEventJob(message, getRuntime(), context.invocationId);
}

app.storageQueue('eventJobs', { queueName: queueNames.jiraEvents, connection: 'AzureWebJobsStorage', handler: eventJobs });
