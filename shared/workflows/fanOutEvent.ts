// A verified webhook event becomes one job per action its project's rules chose. Jira retries a delivery with
// the same X-Atlassian-Webhook-Identifier; the `deliveries` row makes the fan-out happen once per delivery even
// when the acknowledgement path (whose in-memory check is per instance) let a repeat through. The signature covers
// only the body, so a captured delivery replayed with a changed or missing id header is caught by a second row
// keyed on the body's SHA-256, within the intake's dedup window.
import type { Runtime } from '../runtime.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import { eventMessageSchema, queueFor, type NewJobMessage } from '../jobs/messages.js';
import { PermanentError } from '../errors.js';
import type { TableClient } from '@azure/data-tables';
import { insertEntity, readEntity, replaceIfMatch, tableNames } from '../storage/tables.js';
import { bodyDedupWindowMs } from '../jira/events.js';
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
  if (!parsed.success) throw new PermanentError(`invalid event message: ${parsed.error.issues[0]?.message}`, 'invalid_message');
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

  if (event.bodyDigest) {
    const earlier = await claimBody(table, event.siteId, event.bodyDigest, { jobId: event.jobId, issueKey: event.issueKey, state: 'fanning-out', at: deps.clock.now().toISOString() }, deps.clock.now());
    if (earlier) {
      context.log.info('jira.event.duplicate', { deliveryId: event.deliveryId, firstJobId: earlier.jobId, reason: 'same body' });
      return { outcome: 'ignored', detail: `the same signed body was already handled by job ${earlier.jobId} (delivery id ${event.deliveryId ?? 'absent'})` };
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
 * Claims the body digest's row for this job. Returns the earlier job's row when another job handled the same body
 * within the window; a row older than the window is taken over (its delivery is no longer a duplicate candidate).
 */
async function claimBody(table: TableClient, siteId: string, digest: string, row: DeliveryRow, now: Date): Promise<DeliveryRow | undefined> {
  const rowKey = `sha256-${digest}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await insertEntity(table, siteId, rowKey, row);
    if (inserted.created) return undefined;
    const existing = await readEntity<DeliveryRow>(table, siteId, rowKey);
    if (!existing) continue; // deleted in between: insert again
    if (existing.jobId === row.jobId) return undefined; // this message again, after a crash: finish the fan-out
    if (now.getTime() - Date.parse(existing.at) < bodyDedupWindowMs) return existing;
    const replaced = await replaceIfMatch(table, siteId, rowKey, row, existing.etag);
    if (replaced.ok) return undefined;
  }
  return (await readEntity<DeliveryRow>(table, siteId, rowKey)) ?? row;
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
