// Runs one queue message through a workflow and decides what happens to it, so no job is lost:
// - done / ignored: audited, message completed;
// - ThrottledError: sent back to its queue with a visibility delay (no function sleeps through a long wait);
// - NeedsReauthError / InvalidLicenceError: parked until the service user is usable again (not poisoned);
// - GraphRequestError: explained once (identity/graphAccess.ts): parked, failed with Graph's reason, or retried;
// - PermanentError: audited with the reason, completed (retrying cannot help);
// - anything else: rethrown, so the Functions host retries it and, after maxDequeueCount, moves it to the poison
//   queue, from which the admin API can replay it.
import type { Runtime } from '../runtime.js';
import { NeedsReauthError, PermanentError, ServiceUserUnavailableError, ThrottledError, ensureError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { explainGraphError } from '../identity/graphAccess.js';
import { isFeature } from '../features.js';
import { parkJob } from '../identity/tokens.js';
import { addLogDimensions, type Logger } from '../log.js';
import { poisonQueueName } from '../storage/queues.js';
import { writeAudit, type AuditOutcome } from './audit.js';
import { jobMessageSchema, type JobMessage } from './messages.js';

/** host.json `extensions.queues.maxDequeueCount`; a unit test keeps the two equal. */
export const maxDequeueCount = 5;
/** A job that has waited this many times is given up on with a visible reason. */
export const maxDeferrals = 60;

export interface JobResult {
  outcome: 'done' | 'ignored';
  detail?: string;
}

export interface JobContext {
  log: Logger;
  /** Graph request ids collected by the workflow for the audit entry. */
  graphRequestIds: string[];
  dequeueCount: number;
}

export type JobHandler = (job: JobMessage, context: JobContext) => Promise<JobResult>;

export interface QueueTrigger {
  queue: string;
  dequeueCount: number;
  messageId?: string;
}

export type RunnerDeps = Pick<Runtime, 'tables' | 'queues' | 'clock' | 'log' | 'config' | 'secrets'>;

export async function runJob(raw: unknown, trigger: QueueTrigger, handler: JobHandler, deps: RunnerDeps): Promise<void> {
  const parsed = jobMessageSchema.safeParse(raw);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ');
    // A malformed message can never succeed: put it beside the poison messages, where an admin sees and replays it.
    await deps.queues.send(poisonQueueName(trigger.queue), raw ?? null);
    deps.log.error('job.poisoned', { queue: trigger.queue, messageId: trigger.messageId, reason: `invalid message: ${reason}` });
    return;
  }
  const job = parsed.data;
  // Every line of this invocation (workflow, Graph client, token code) names the job from here on.
  addLogDimensions({ jobId: job.jobId, siteId: job.siteId, issueKey: job.issueKey, action: job.action, queue: trigger.queue });
  const log = deps.log.with({ jobId: job.jobId, siteId: job.siteId, issueKey: job.issueKey, action: job.action, queue: trigger.queue });
  const context: JobContext = { log, graphRequestIds: [], dequeueCount: trigger.dequeueCount };
  const audit = (outcome: AuditOutcome, detail?: string) =>
    writeAudit(deps, {
      siteId: job.siteId,
      issueKey: job.issueKey,
      jobId: job.jobId,
      action: job.action,
      outcome,
      detail,
      graphRequestIds: context.graphRequestIds,
      dequeueCount: trigger.dequeueCount,
    }).catch((e: unknown) => log.warn('audit.write-failed', { error: ensureError(e) }));

  try {
    const result = await handler(job, context);
    // sinceRequestedMs: from the webhook/Automation call to this job's end (the workbook's webhook-to-chat latency).
    const elapsed = deps.clock.now().getTime() - Date.parse(job.requestedAt);
    const sinceRequestedMs = Number.isFinite(elapsed) ? Math.max(0, elapsed) : undefined;
    log.info(`job.${result.outcome}`, { detail: result.detail, graphRequestIds: context.graphRequestIds, source: job.source, sinceRequestedMs });
    await audit(result.outcome, result.detail);
  } catch (thrown) {
    // A Graph error answer is classified once (graph/client.ts) and explained here, where the service user can be
    // looked at: a park, a permanent failure with Graph's reason, or left transient.
    const e = thrown instanceof GraphRequestError ? await explainGraphError(deps, thrown).catch(() => thrown) : thrown;
    if (e instanceof ThrottledError) {
      if (job.deferrals >= maxDeferrals) {
        log.error('job.failed', { reason: `gave up after ${job.deferrals} waits: ${e.message}` });
        await audit('failed', `gave up after ${job.deferrals} waits: ${e.message}`);
        return;
      }
      await deps.queues.send(trigger.queue, { ...job, deferrals: job.deferrals + 1 }, { delaySeconds: e.retryAfterSeconds });
      log.info('job.deferred', { retryAfterSeconds: e.retryAfterSeconds, reason: e.message });
      await audit('deferred', `${e.message}; retry in ${e.retryAfterSeconds}s`);
      return;
    }
    if (e instanceof ServiceUserUnavailableError && isFeature(e.feature)) {
      await parkJob(deps, { tenantId: e.tenantId, feature: e.feature, queue: trigger.queue, message: job, reason: e.message });
      await audit('parked', e instanceof NeedsReauthError ? `${e.message}; re-authenticate at ${deps.config.publicBaseUrl}${e.reauthPath}` : `${e.serviceUserStatus}: ${e.message}`);
      return;
    }
    if (e instanceof PermanentError) {
      log.warn('job.failed', { code: e.code, reason: e.message, status: e.status, requestId: e.requestId, ...e.details });
      await audit('failed', `${e.code}: ${e.message}`);
      return;
    }
    const error = ensureError(e);
    const last = trigger.dequeueCount >= maxDequeueCount;
    log.error(last ? 'job.poisoned' : 'job.error', { error, attempt: trigger.dequeueCount, maxDequeueCount });
    await audit('error', `attempt ${trigger.dequeueCount} of ${maxDequeueCount}: ${error.message}${last ? ' (moved to the poison queue)' : ''}`);
    throw error;
  }
}
