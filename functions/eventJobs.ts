// Queue trigger: fan a verified Jira webhook event out into one job per action, once per delivery.
import { app, type InvocationContext } from '@azure/functions';
import { getRuntime } from '../shared/runtime.js';
import { PermanentError } from '../shared/errors.js';
import { queueNames, poisonQueueName } from '../shared/storage/queues.js';
import { fanOutEvent } from '../shared/workflows/fanOutEvent.js';

const runtime = getRuntime();

export async function eventJobs(message: unknown, context: InvocationContext): Promise<void> {
  try {
    const result = await fanOutEvent(message, runtime, runtime);
    runtime.log.info(`event.${result.outcome}`, { detail: result.detail, invocationId: context.invocationId });
  } catch (e) {
    if (!(e instanceof PermanentError)) throw e;
    // An event message that cannot be read never will be: keep it where an admin can see and replay it.
    await runtime.queues.send(poisonQueueName(queueNames.jiraEvents), message ?? null);
    runtime.log.error('job.poisoned', { queue: queueNames.jiraEvents, reason: e.message });
  }
}

app.storageQueue('eventJobs', { queueName: queueNames.jiraEvents, connection: 'AzureWebJobsStorage', handler: eventJobs });
