// A verified webhook event becomes one job per action its project's rules chose. Jira retries a delivery with
// the same X-Atlassian-Webhook-Identifier; the `deliveries` row makes the fan-out happen once per delivery even
// when the acknowledgement path (whose in-memory check is per instance) let a repeat through.
import type { Runtime } from '../runtime.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import { eventMessageSchema, queueFor, type NewJobMessage } from '../jobs/messages.js';
import { PermanentError } from '../errors.js';
import { insertEntity, readEntity, replaceIfMatch, tableNames } from '../storage/tables.js';
import { poisonQueueName, queueNames } from '../storage/queues.js';
import { addLogDimensions } from '../log.js';

interface DeliveryRow {
  jobId: string;
  issueKey: string;
  state: 'fanning-out' | 'done';
  at: string;
}

export async function fanOutEvent(raw: unknown, context: Pick<JobContext, 'log'>, deps: Pick<Runtime, 'tables' | 'queues' | 'clock'>): Promise<JobResult> {
  const parsed = eventMessageSchema.safeParse(raw);
  if (!parsed.success) throw new PermanentError(`invalid event message: ${parsed.error.issues[0]?.message}`, 'invalid-message');
  const event = parsed.data;
  addLogDimensions({ jobId: event.jobId, siteId: event.siteId, issueKey: event.issueKey, deliveryId: event.deliveryId, queue: queueNames.jiraEvents });

  const table = await deps.tables.table(tableNames.deliveries);
  if (event.deliveryId) {
    const row: DeliveryRow = { jobId: event.jobId, issueKey: event.issueKey, state: 'fanning-out', at: deps.clock.now().toISOString() };
    const inserted = await insertEntity(table, event.siteId, event.deliveryId, row);
    if (!inserted.created) {
      const existing = await readEntity<DeliveryRow>(table, event.siteId, event.deliveryId);
      // Another message for the same delivery (a Jira retry) got here first: this one is a duplicate. The same
      // message coming back after a crash mid-fan-out carries the same job id and finishes the fan-out.
      if (existing && existing.jobId !== event.jobId) {
        context.log.info('jira.event.duplicate', { deliveryId: event.deliveryId, firstJobId: existing.jobId });
        return { outcome: 'ignored', detail: `delivery ${event.deliveryId} was already handled by job ${existing.jobId}` };
      }
    }
  }

  for (const { action, params } of event.actions) {
    const job: NewJobMessage = {
      v: 1,
      kind: 'job',
      // Deterministic, so a re-run of this fan-out produces the same reservations downstream.
      jobId: `${event.jobId}:${action}`,
      action,
      siteId: event.siteId,
      issueKey: event.issueKey,
      source: 'webhook',
      deliveryId: event.deliveryId,
      params,
      requestedAt: event.receivedAt,
    };
    await deps.queues.send(queueFor(action), job);
  }

  if (event.deliveryId) {
    const row = await readEntity<DeliveryRow>(table, event.siteId, event.deliveryId);
    if (row) await replaceIfMatch(table, event.siteId, event.deliveryId, { jobId: row.jobId, issueKey: row.issueKey, state: 'done', at: row.at }, row.etag);
  }
  return { outcome: 'done', detail: `queued ${event.actions.map((a) => a.action).join(', ')}` };
}

/**
 * The eventJobs queue function's whole job: fan out, and put an event message that can never be read beside the
 * poison messages (where an admin sees and replays it) instead of retrying it. Anything else is rethrown so the host
 * retries.
 */
export async function runEventJob(message: unknown, deps: Pick<Runtime, 'tables' | 'queues' | 'clock' | 'log'>, invocationId?: string): Promise<void> {
  try {
    const result = await fanOutEvent(message, deps, deps);
    deps.log.info(`event.${result.outcome}`, { detail: result.detail, invocationId });
  } catch (e) {
    if (!(e instanceof PermanentError)) throw e;
    await deps.queues.send(poisonQueueName(queueNames.jiraEvents), message ?? null);
    deps.log.error('job.poisoned', { queue: queueNames.jiraEvents, reason: e.message });
  }
}
