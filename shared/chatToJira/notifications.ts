// POST /api/graph/notifications (also the lifecycle URL, with `?lifecycle=1`): Graph's validation handshake, then
// change and lifecycle notifications for chat subscriptions (graph-contract §10, DESIGN §2):
//
// - `?validationToken=…`: answered at once, before anything else is read, with 200 text/plain and the decoded
//   token ("If the client returns an encoded validation token, the validation fails"; reply within 10 s).
// - notifications: each item's `clientState` is compared in constant time with the secret of the subscription it
//   names. Items for an unknown subscription or with a wrong clientState are dropped, logged and counted (a
//   `metric` log line), never acted on. Valid items become queue jobs; the answer is 202 at once (Graph wants a 2xx
//   within 3 s and throttles slow endpoints). Forged items are answered 202 too, so a forger learns nothing.
// - Bad input (not JSON, wrong shape, too large) is a precise 4xx, never a 5xx and never enqueued.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { tokensEqual } from '../jira/signature.js';
import type { NewJobMessage } from '../jobs/messages.js';
import { bodyTooLarge, fail, methodNotAllowed, ok, parseJson, requireJson, type HttpOutcome, type RawRequest } from '../http/outcome.js';
import { queueNames } from '../storage/queues.js';
import { pollMessage, type MailInMessage } from '../mailIn/ingest.js';
import { readSubscriptionIndex, type SubscriptionIndexRow } from './store.js';

export type NotificationDeps = Pick<Runtime, 'tables' | 'secrets' | 'queues' | 'clock' | 'log' | 'config'> & {
  cache: SubscriptionCache;
};

/** Graph batches notifications; a body is far smaller than this in practice (no resource data is asked for). */
const maxBodyBytes = 1_048_576;
/** Graph's tokens are short opaque strings; anything far longer is not Graph. */
const maxValidationTokenChars = 2048;

const itemSchema = z.object({
  subscriptionId: z.string().min(1).max(200),
  clientState: z.string().max(255).nullish(),
  changeType: z.string().max(100).optional(),
  resource: z.string().max(2000).optional(),
  lifecycleEvent: z.string().max(100).optional(),
  tenantId: z.string().max(100).optional(),
});

const bodySchema = z.object({ value: z.array(z.unknown()).min(1).max(1000) });

export const lifecycleEvents = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'] as const;
export type LifecycleEvent = (typeof lifecycleEvents)[number];

export async function acceptGraphNotifications(request: RawRequest, deps: NotificationDeps): Promise<HttpOutcome> {
  // The handshake first: no storage, no secret, no parsing of the body.
  const validationToken = request.query.validationToken;
  if (validationToken !== undefined) {
    if (request.method !== 'POST' && request.method !== 'GET') return methodNotAllowed(['POST']);
    if (validationToken.length === 0 || validationToken.length > maxValidationTokenChars) {
      return fail(400, 'invalid_validation_token', `validationToken must be 1-${maxValidationTokenChars} characters`);
    }
    // The query value is already URL-decoded; it goes back exactly as Graph sent it, as plain text.
    return { status: 200, body: validationToken, headers: { 'content-type': 'text/plain; charset=utf-8' } };
  }
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const tooLarge = bodyTooLarge(request, maxBodyBytes);
  if (tooLarge) return tooLarge;
  const media = requireJson(request);
  if (media) return media;
  const json = parseJson(request);
  if (!json.ok) return json.outcome;
  const body = bodySchema.safeParse(json.value);
  if (!body.success) return fail(400, 'invalid_notification', 'the body must be {"value":[…]} with 1 to 1000 notifications');

  const jobs: NewJobMessage[] = [];
  const mailJobs = new Map<string, MailInMessage>();
  const dropped: Record<string, number> = {};
  const drop = (reason: string, fields: Record<string, unknown>) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    deps.log.warn('graph.notification.dropped', { reason, ...fields });
  };
  for (const [index, raw] of body.data.value.entries()) {
    const parsed = itemSchema.safeParse(raw);
    if (!parsed.success) {
      drop('malformed', { index });
      continue;
    }
    const item = parsed.data;
    const sub = await deps.cache.subscription(item.subscriptionId);
    if (!sub) {
      drop('unknown-subscription', { subscriptionId: item.subscriptionId.slice(0, 80) });
      continue;
    }
    if (!item.clientState || !tokensEqual(item.clientState, sub.clientState)) {
      drop('client-state-mismatch', { subscriptionId: item.subscriptionId, ...whereOf(sub.index) });
      continue;
    }
    if (item.tenantId && item.tenantId.toLowerCase() !== sub.index.tenantId.toLowerCase()) {
      drop('tenant-mismatch', { subscriptionId: item.subscriptionId, ...whereOf(sub.index) });
      continue;
    }
    if (sub.index.target === 'mail-in') {
      // A mail folder subscription: the notification only starts the source's delta catch-up (its claims keep each
      // message exactly once); one catch-up per source per batch, whatever the batch holds for it.
      const reason = mailReason(item);
      if (!reason) {
        drop(item.lifecycleEvent ? 'unknown-lifecycle-event' : 'change-type-ignored', { subscriptionId: item.subscriptionId, ...whereOf(sub.index) });
        continue;
      }
      const key = `${sub.index.siteId}\n${sub.index.projectKey}`;
      const earlier = mailJobs.get(key);
      // A lifecycle event outranks a plain "created": it also repairs the subscription.
      if (!earlier || earlier.reason === 'notification') mailJobs.set(key, pollMessage(sub.index, reason, deps.clock.now()));
      continue;
    }
    const base = { v: 1 as const, kind: 'job' as const, jobId: randomUUID(), siteId: sub.index.siteId, issueKey: sub.index.issueKey, source: 'graph' as const, requestedAt: deps.clock.now().toISOString() };
    if (item.lifecycleEvent) {
      if (!(lifecycleEvents as readonly string[]).includes(item.lifecycleEvent)) {
        drop('unknown-lifecycle-event', { subscriptionId: item.subscriptionId, lifecycleEvent: item.lifecycleEvent.slice(0, 60) });
        continue;
      }
      jobs.push({ ...base, action: 'chat-subscription', params: { op: item.lifecycleEvent, subscriptionId: item.subscriptionId, issueId: sub.index.issueId, kind: sub.index.kind } });
      continue;
    }
    if (item.changeType !== 'created') {
      // Only new messages are subscribed to; edits and deletions are not acted on.
      drop('change-type-ignored', { subscriptionId: item.subscriptionId, changeType: item.changeType?.slice(0, 40) });
      continue;
    }
    const target = messageOf(item.resource ?? '');
    if (!target || target.chatId !== sub.index.chatId) {
      drop('resource-mismatch', { subscriptionId: item.subscriptionId, siteId: sub.index.siteId, issueKey: sub.index.issueKey });
      continue;
    }
    jobs.push({
      ...base,
      action: 'chat-message',
      params: { subscriptionId: item.subscriptionId, issueId: sub.index.issueId, kind: sub.index.kind, chatId: target.chatId, messageId: target.messageId },
    });
  }

  // In parallel: Graph batches up to 1000 items and wants the answer within 3 s.
  await Promise.all([
    ...jobs.map((job) => deps.queues.send(queueNames.chatToJiraJobs, job)),
    ...[...mailJobs.values()].map((job) => deps.queues.send(queueNames.mailIn, job)),
  ]);
  const droppedCount = Object.values(dropped).reduce((a, b) => a + b, 0);
  if (droppedCount > 0) {
    // A metric-like line (one per request) that a log query or alert can sum: forged or stale notifications.
    deps.log.warn('metric', { name: 'graph.notifications.dropped', value: droppedCount, reasons: dropped });
  }
  deps.log.info('graph.notifications.accepted', { accepted: jobs.length, mailCatchUps: mailJobs.size, dropped: droppedCount, jobIds: jobs.map((j) => j.jobId) });
  return ok({ status: 'accepted' }, 202);
}

function whereOf(index: SubscriptionIndexRow): Record<string, string> {
  return index.target === 'mail-in' ? { siteId: index.siteId, projectKey: index.projectKey } : { siteId: index.siteId, issueKey: index.issueKey };
}

/** What a mail subscription's notification asks of the source's catch-up job (undefined: not acted on). */
function mailReason(item: z.infer<typeof itemSchema>): MailInMessage['reason'] | undefined {
  if (item.lifecycleEvent) return (lifecycleEvents as readonly string[]).includes(item.lifecycleEvent) ? (item.lifecycleEvent as LifecycleEvent) : undefined;
  // Only new mail is subscribed to; Graph names the message (`Users/{id}/Messages/{id}`) but the catch-up reads it.
  return item.changeType === 'created' ? 'notification' : undefined;
}

/**
 * The chat and message a change notification names. Graph sends `chats('<chat id>')/messages('<message id>')`;
 * the path form `chats/<id>/messages/<id>` is accepted too.
 */
export function messageOf(resource: string): { chatId: string; messageId: string } | undefined {
  const m =
    /^\/?chats\('([^']+)'\)\/messages\('([^']+)'\)$/i.exec(resource) ??
    /^\/?chats\/([^/]+)\/messages\/([^/]+)$/i.exec(resource);
  if (!m?.[1] || !m[2]) return undefined;
  const messageId = decodeURIComponent(m[2]);
  // Chat message ids are epoch-millisecond strings (graph-contract §4); anything else is not a chat message.
  if (!/^\d{1,20}$/.test(messageId)) return undefined;
  return { chatId: decodeURIComponent(m[1]), messageId };
}

export interface CachedSubscription {
  index: SubscriptionIndexRow;
  clientState: string;
}

export interface SubscriptionCache {
  subscription(subscriptionId: string): Promise<CachedSubscription | undefined>;
  forget(subscriptionId: string): void;
}

/**
 * The subscription row and its clientState secret, cached for SETTINGS_CACHE_SECONDS so an acknowledgement costs
 * about one enqueue. Unknown ids are not cached (a subscription created a moment ago must work at once); the
 * point read they cost is the same a forger would cause anyway.
 */
export function createSubscriptionCache(deps: Pick<Runtime, 'tables' | 'secrets' | 'clock' | 'config'>): SubscriptionCache {
  const entries = new Map<string, { expires: number; value: Promise<CachedSubscription | undefined> }>();
  const ttlMs = deps.config.settingsCacheSeconds * 1000;
  return {
    subscription(subscriptionId) {
      const now = deps.clock.now().getTime();
      const hit = entries.get(subscriptionId);
      if (hit && hit.expires > now) return hit.value;
      const value = (async () => {
        const index = await readSubscriptionIndex(deps, subscriptionId);
        if (!index) return undefined;
        const clientState = await deps.secrets.get(index.clientStateSecret);
        return clientState ? { index, clientState } : undefined;
      })();
      if (ttlMs > 0) {
        entries.set(subscriptionId, { expires: now + ttlMs, value });
        value.then(
          (v) => (v ? undefined : entries.delete(subscriptionId)),
          () => entries.delete(subscriptionId),
        );
        if (entries.size > 10_000) entries.clear();
      }
      return value;
    },
    forget(subscriptionId) {
      entries.delete(subscriptionId);
    },
  };
}
