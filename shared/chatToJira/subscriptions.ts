// Subscriptions follow the chats: one Graph subscription to `/chats/{id}/messages` per linked chat of a project with
// chat-to-jira on, delegated as the tenant's chat-to-jira service user (Chat.Read), who must be a member of the
// chat. Created when the chat is created or the feature is turned on, renewed by a timer before it expires,
// reauthorized on `reauthorizationRequired`, recreated and back-filled on `subscriptionRemoved`, back-filled on
// `missed`, deleted when the chat is closed or the tenant disconnected (graph-contract §10 "Lifecycle
// notifications": "After subscriptionRemoved, recreate the subscription and backfill").
//
// Back-fill reads the messages created after the last one handled and queues each as a `chat-message` job; the
// per-message guard in store.ts makes a message that also arrived live count once.
import { randomUUID } from 'node:crypto';
import { PermanentError } from '../errors.js';
import { GraphRequestError, type Graph } from '../graph/client.js';
import {
  chatMessagesResource,
  createChatSubscription,
  findSubscriptionsFor,
  expiryFrom,
  listChatMessagesSince,
  reauthorizeSubscription,
  renewSubscription,
} from '../graph/subscriptions.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import type { JobMessage, NewJobMessage } from '../jobs/messages.js';
import type { ChatKind } from '../actions.js';
import type { ChatRef } from '../subscriptions/upkeep.js';
import { queueNames } from '../storage/queues.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import { deleteSubscriptionIndex, forgetSubscription, newClientState, notificationUrls, writeSubscriptionIndex } from '../subscriptions/upkeep.js';
import { messageText, truncate } from './commands.js';
import {
  claimMessage,
  finishMessage,
  listChatSubscriptions,
  patchChatSubscription,
  readChatSubscription,
  writeChatSubscription,
  type ChatSubscriptionRow,
} from './store.js';

/** Renew when less than this is left (the timer runs hourly; a subscription lasts 71 hours as requested). */
export const renewWithinHours = 24;

/** The job that keeps a chat's subscription in step (queued by createChat / closeChat hooks, the timer, the admin API). */
export function subscriptionJob(ref: ChatRef, op: SubscriptionOp, now: Date): NewJobMessage {
  return {
    v: 1,
    kind: 'job',
    jobId: randomUUID(),
    action: 'chat-subscription',
    siteId: ref.siteId,
    issueKey: ref.issueKey,
    source: 'internal',
    params: { op, issueId: ref.issueId, kind: ref.kind, chatId: ref.chatId, tenantId: ref.tenantId },
    requestedAt: now.toISOString(),
  };
}

export type SubscriptionOp = 'ensure' | 'renew' | 'delete' | 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

/** Runs one `chat-subscription` job. */
export async function subscriptionJobRun(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const p = job.params as { op?: SubscriptionOp; issueId?: string; kind?: ChatKind; chatId?: string; tenantId?: string; subscriptionId?: string };
  if (!p.op || !p.issueId || !p.kind) throw new PermanentError('chat-subscription job needs op, issueId and kind', 'params_invalid');
  const existing = await readChatSubscription(deps, job.siteId, p.issueId, p.kind);
  const ref: ChatRef | undefined =
    p.chatId && p.tenantId
      ? { siteId: job.siteId, issueId: p.issueId, issueKey: job.issueKey, kind: p.kind, tenantId: p.tenantId, chatId: p.chatId }
      : existing && { siteId: existing.siteId, issueId: existing.issueId, issueKey: existing.issueKey, kind: existing.kind, tenantId: existing.tenantId, chatId: existing.chatId };
  if (!ref) return { outcome: 'ignored', detail: `no chat subscription for ${job.issueKey}` };
  // A lifecycle event for a subscription this chat no longer uses (already recreated) needs nothing.
  if (p.subscriptionId && existing?.subscriptionId && p.subscriptionId !== existing.subscriptionId) {
    return { outcome: 'ignored', detail: `${p.op} for subscription ${p.subscriptionId}, which ${job.issueKey}'s chat no longer uses` };
  }
  switch (p.op) {
    case 'delete': {
      const transcript = (job.params as { transcript?: boolean }).transcript ? await transcriptOnce(deps, context, job, ref) : undefined;
      const deleted = await deleteChatSubscription(deps, context, ref, 'chat closed');
      return transcript ? { outcome: 'done', detail: `${transcript}; ${deleted.detail ?? ''}` } : deleted;
    }
    case 'ensure':
    case 'renew':
      return ensureChatSubscription(deps, context, ref);
    case 'reauthorizationRequired':
      return reauthorize(deps, context, ref);
    case 'subscriptionRemoved':
      return recreate(deps, context, ref, 'subscriptionRemoved');
    case 'missed':
      return backfillJob(deps, context, ref, 'missed');
    default:
      throw new PermanentError(`unknown chat-subscription op ${String(p.op)}`, 'params_invalid');
  }
}

/**
 * On resolve, when the project asks for it: the chat's human messages as one internal comment, once (claimed like
 * a message, with a trace marker for a retry after a crash).
 */
async function transcriptOnce(deps: WorkflowDeps, context: JobContext, job: JobMessage, ref: ChatRef): Promise<string> {
  const claim = await claimMessage(deps, ref.chatId, 'transcript', job.jobId, { leaseSeconds: 300 });
  if (claim.status !== 'claimed') return `transcript ${claim.status === 'done' ? 'already written' : `being written by job ${claim.owner}`}`;
  const marker = `Teams chat transcript ${ref.chatId}`;
  const graph = await deps.graphFor(ref.tenantId, 'chat-to-jira');
  try {
    const jira = await deps.jiraFor(ref.siteId);
    const issue = await jira.getIssue(ref.issueKey);
    if (claim.takeover && (await jira.recentCommentContains(issue.key, marker))) {
      await finishMessage(deps, ref.chatId, 'transcript', job.jobId, 'transcript written');
      return 'transcript already written';
    }
    const chatsUser = await readServiceUser(deps.tables, ref.tenantId, 'chats');
    const bridgeIds = new Set([graph.serviceUserObjectId, chatsUser?.objectId].filter(Boolean));
    const lines = (await listChatMessagesSince(graph, ref.chatId, undefined, 20))
      .filter((m) => (m.messageType ?? 'message') === 'message' && !m.deletedDateTime && m.from?.user?.id && !bridgeIds.has(m.from.user.id))
      .map((m) => `[${(m.createdDateTime ?? '').slice(0, 16).replace('T', ' ')} UTC] ${m.from?.user?.displayName ?? 'someone'}: ${messageText(m.body)}`);
    const body = truncate(`Transcript of the Teams chat (${lines.length} message${lines.length === 1 ? '' : 's'}):\n\n${lines.join('\n')}`);
    await jira.addAdfComment(issue.key, `${body}\n\n— from Teams (${marker})`, { internal: true, serviceDesk: issue.projectType === 'service_desk' });
    await finishMessage(deps, ref.chatId, 'transcript', job.jobId, 'transcript written');
    return `transcript of ${lines.length} message(s) added`;
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}

/** Creates the subscription if the chat has none that works, renews it if it expires within `renewWithinHours`. */
export async function ensureChatSubscription(deps: WorkflowDeps, context: JobContext, ref: ChatRef): Promise<JobResult> {
  const settings = await deps.projectSettings(ref.siteId, ref.issueKey.split('-')[0]!);
  if (!settings?.enabled || !settings.chatToJira.enabled) {
    const row = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
    if (row?.subscriptionId && row.state !== 'deleted') return deleteChatSubscription(deps, context, ref, 'chat-to-jira turned off');
    return { outcome: 'ignored', detail: `chat-to-jira is off for ${ref.issueKey}'s project` };
  }
  const row = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
  const now = deps.clock.now();
  if (row?.state === 'active' && row.subscriptionId && row.expiresAt) {
    const hoursLeft = (Date.parse(row.expiresAt) - now.getTime()) / 3_600_000;
    if (hoursLeft > renewWithinHours) return { outcome: 'ignored', detail: `subscription ${row.subscriptionId} is active until ${row.expiresAt}` };
    const graph = await deps.graphFor(ref.tenantId, 'chat-to-jira');
    try {
      const expiresAt = await renewSubscription(graph, row.subscriptionId, expiryFrom(now));
      await patchChatSubscription(deps, ref, () => ({ expiresAt, lastEvent: 'renewed', lastEventAt: now.toISOString(), lastError: undefined, updatedAt: now.toISOString() }));
      return { outcome: 'done', detail: `subscription ${row.subscriptionId} renewed until ${expiresAt}` };
    } catch (e) {
      // Expired or removed meanwhile: Graph answers 404; make a new one and read what was missed.
      if (!(e instanceof GraphRequestError && e.status === 404)) throw e;
      return recreate(deps, context, ref, 'renewal found the subscription gone');
    } finally {
      context.graphRequestIds.push(...graph.requestIds);
    }
  }
  return recreate(deps, context, ref, row ? `state was ${row.state}` : 'new chat');
}

/**
 * A new subscription (with a new clientState secret) for the chat, replacing any earlier one, then a back-fill from
 * the last message handled. A brand-new chat starts "now": history from before the feature was on is not replayed.
 */
async function recreate(deps: WorkflowDeps, context: JobContext, ref: ChatRef, reason: string): Promise<JobResult> {
  const now = deps.clock.now();
  const previous = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
  const graph = await deps.graphFor(ref.tenantId, 'chat-to-jira');
  try {
    if (previous?.subscriptionId) await forgetSubscription(deps, graph, previous.subscriptionId, previous.clientStateSecret);
    // An earlier attempt that stopped before Graph answered left its secret behind: it names no subscription.
    else if (previous?.clientStateSecret) await deps.secrets.delete(previous.clientStateSecret).catch(() => undefined);
    const { clientStateSecret, clientState } = await newClientState(deps, ref.siteId, ref.issueId, ref.kind);
    const base: ChatSubscriptionRow = {
      ...ref,
      state: 'pending',
      clientStateSecret,
      lastSeenMessageId: previous?.lastSeenMessageId ?? String(now.getTime()),
      createdAt: previous?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      lastEvent: reason,
      lastEventAt: now.toISOString(),
    };
    await writeChatSubscription(deps, base);
    let created;
    const create = () => createChatSubscription(graph, { chatId: ref.chatId, clientState, expirationDateTime: expiryFrom(now), ...notificationUrls(deps.config.publicBaseUrl) });
    try {
      try {
        created = await create();
      } catch (e) {
        // Graph allows one subscription per app per chat (graph-contract §10): a subscription this app made earlier
        // and lost track of (a crash after POST /subscriptions, a disconnect that could not call Graph) blocks a
        // new one with 403 until it expires. Find it, delete it, and try once more.
        if (!(e instanceof GraphRequestError && e.status === 403)) throw e;
        const orphans = await findSubscriptionsFor(graph, chatMessagesResource(ref.chatId));
        if (orphans.length === 0) throw e;
        for (const orphan of orphans) await forgetSubscription(deps, graph, orphan.id, undefined);
        context.log.warn('chatToJira.subscription.orphanReplaced', { chatId: ref.chatId, orphans: orphans.map((o) => o.id) });
        created = await create();
      }
    } catch (e) {
      if (e instanceof GraphRequestError && e.status >= 400 && e.status < 500) {
        // 403: the service user is not a member of the chat, lacks Chat.Read, or the per-chat quota is used up;
        // 400: Graph could not validate the notification URL (PUBLIC_BASE_URL not reachable from Graph).
        const lastError = `Graph refused the subscription (${e.status} ${e.code}): ${hint(e)}`;
        await writeChatSubscription(deps, { ...base, state: 'failed', lastError });
        await deps.secrets.delete(clientStateSecret).catch(() => undefined);
        throw new PermanentError(lastError, 'subscription_refused', { chatId: ref.chatId });
      }
      throw e;
    }
    await writeSubscriptionIndex(deps, created.id, { siteId: ref.siteId, issueId: ref.issueId, issueKey: ref.issueKey, kind: ref.kind, tenantId: ref.tenantId, chatId: ref.chatId, clientStateSecret });
    await writeChatSubscription(deps, { ...base, state: 'active', subscriptionId: created.id, expiresAt: created.expirationDateTime, lastError: undefined });
    const queued = await backfill(deps, graph, ref, base.lastSeenMessageId);
    const detail = `subscription ${created.id} created (${reason}) until ${created.expirationDateTime}; ${queued} message(s) back-filled`;
    return { outcome: 'done', detail };
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}

async function reauthorize(deps: WorkflowDeps, context: JobContext, ref: ChatRef): Promise<JobResult> {
  const row = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
  if (!row?.subscriptionId || row.state === 'deleted') return { outcome: 'ignored', detail: 'no active subscription to reauthorize' };
  // graphFor gets a fresh delegated token (refreshing the service user's refresh token if needed): what Graph
  // asks for with reauthorizationRequired ("obtain a valid token, then call /reauthorize").
  const graph = await deps.graphFor(ref.tenantId, 'chat-to-jira');
  const now = deps.clock.now();
  try {
    await reauthorizeSubscription(graph, row.subscriptionId);
  } catch (e) {
    if (e instanceof GraphRequestError && e.status === 404) return recreate(deps, context, ref, 'reauthorization found the subscription gone');
    throw e;
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
  await patchChatSubscription(deps, ref, () => ({ lastEvent: 'reauthorized', lastEventAt: now.toISOString(), updatedAt: now.toISOString() }));
  const detail = `subscription ${row.subscriptionId} reauthorized`;
  return { outcome: 'done', detail };
}

async function backfillJob(deps: WorkflowDeps, context: JobContext, ref: ChatRef, reason: string): Promise<JobResult> {
  const row = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
  if (!row || row.state === 'deleted') return { outcome: 'ignored', detail: 'no subscription' };
  const graph = await deps.graphFor(ref.tenantId, 'chat-to-jira');
  try {
    const queued = await backfill(deps, graph, ref, row.lastSeenMessageId);
    const now = deps.clock.now().toISOString();
    await patchChatSubscription(deps, ref, () => ({ lastEvent: reason, lastEventAt: now, updatedAt: now }));
    const detail = `${reason}: ${queued} message(s) back-filled`;
    return { outcome: 'done', detail };
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}

/** Queues a `chat-message` job for every message after `afterMessageId`; answers how many. */
async function backfill(deps: WorkflowDeps, graph: Graph, ref: ChatRef, afterMessageId: string | undefined): Promise<number> {
  const messages = await listChatMessagesSince(graph, ref.chatId, afterMessageId);
  const now = deps.clock.now().toISOString();
  for (const m of messages) {
    await deps.queues.send(queueNames.chatToJiraJobs, {
      v: 1,
      kind: 'job',
      jobId: randomUUID(),
      action: 'chat-message',
      siteId: ref.siteId,
      issueKey: ref.issueKey,
      source: 'graph',
      params: { issueId: ref.issueId, kind: ref.kind, chatId: ref.chatId, messageId: m.id, backfill: true },
      requestedAt: now,
    } satisfies NewJobMessage);
  }
  return messages.length;
}

/** Deletes the chat's subscription (Graph, index row, secret) and marks the row `deleted`. */
export async function deleteChatSubscription(deps: WorkflowDeps, context: JobContext, ref: ChatRef, reason: string): Promise<JobResult> {
  const row = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
  if (!row || row.state === 'deleted') return { outcome: 'ignored', detail: 'no subscription to delete' };
  const now = deps.clock.now().toISOString();
  if (row.subscriptionId) {
    let graph: Graph | undefined;
    try {
      graph = await deps.graphFor(ref.tenantId, 'chat-to-jira');
      await forgetSubscription(deps, graph, row.subscriptionId, row.clientStateSecret);
    } catch (e) {
      // A disconnected tenant or a service user gone: Graph removes the subscription when it expires anyway; the
      // rows and the secret are removed here so no notification is acted on any more.
      if (!(e instanceof PermanentError)) throw e;
      await deleteSubscriptionIndex(deps, row.subscriptionId);
      if (row.clientStateSecret) await deps.secrets.delete(row.clientStateSecret).catch(() => undefined);
    } finally {
      if (graph) context.graphRequestIds.push(...graph.requestIds);
    }
  }
  await patchChatSubscription(deps, ref, () => ({ state: 'deleted', subscriptionId: undefined, clientStateSecret: undefined, expiresAt: undefined, lastEvent: reason, lastEventAt: now, updatedAt: now }));
  const detail = `subscription ${row.subscriptionId ?? '(none)'} deleted: ${reason}`;
  return { outcome: 'done', detail };
}

/**
 * The timer: queues an `ensure` job for every chat whose subscription expires within `renewWithinHours`, failed
 * earlier, or belongs to a project that turned the feature on or off since. Jobs, not inline calls: each chat's
 * work is retried, audited and parked on its own.
 */
export async function renewDueSubscriptions(deps: WorkflowDeps): Promise<number> {
  const now = deps.clock.now();
  let queued = 0;
  for (const row of await listChatSubscriptions(deps)) {
    if (row.state === 'deleted') continue;
    const due = row.state !== 'active' || !row.expiresAt || Date.parse(row.expiresAt) - now.getTime() < renewWithinHours * 3_600_000;
    if (!due) continue;
    await deps.queues.send(queueNames.chatToJiraJobs, subscriptionJob(row, 'renew', now));
    queued++;
  }
  deps.log.info('chatToJira.renewal', { queued });
  return queued;
}

function hint(e: GraphRequestError): string {
  if (e.status === 403) return 'is the chat-to-jira service user a member of the chat (use the same account as for chats) and was Chat.Read consented?';
  if (e.status === 400) return 'Graph must reach PUBLIC_BASE_URL/api/graph/notifications and get the validation token back';
  return 'see the Graph request id in the audit entry';
}
