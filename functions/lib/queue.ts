// Queue-trigger plumbing shared by the job functions: the trigger metadata the runner needs.
import type { InvocationContext } from '@azure/functions';
import type { QueueTrigger } from '../../shared/jobs/runJob.js';

export function queueTrigger(queue: string, context: InvocationContext): QueueTrigger {
  const meta = context.triggerMetadata ?? {};
  return {
    queue,
    dequeueCount: Number(meta.dequeueCount ?? 1),
    messageId: typeof meta.id === 'string' ? meta.id : undefined,
  };
}
