// The few places the rest of the app tells chat → Jira about a chat: created (follow it), closed (stop), tenant
// disconnected (stop all of that tenant's). Each queues `chat-subscription` jobs and returns: the chat job that
// calls it never fails because of chat → Jira, and the subscription work is retried, audited and parked on its own.
import type { ChatLink } from '../chats/chatLinks.js';
import { listPartition, tableNames } from '../storage/tables.js';
import type { ProjectSettings } from '../rules/projectSettings.js';
import type { Runtime } from '../runtime.js';
import { queueNames } from '../storage/queues.js';
import { listChatSubscriptions, readChatSubscription } from './store.js';
import type { ChatRef } from '../subscriptions/upkeep.js';
import { subscriptionJob } from './subscriptions.js';

type HookDeps = Pick<Runtime, 'tables' | 'queues' | 'clock' | 'log'>;

function refOf(link: ChatLink): ChatRef | undefined {
  return link.state === 'created' && link.chatId
    ? { siteId: link.siteId, issueId: link.issueId, issueKey: link.issueKey, kind: link.kind, tenantId: link.tenantId, chatId: link.chatId }
    : undefined;
}

/** After a chat is created (or found created): subscribe to it when its project has chat-to-jira on. */
export async function followChat(deps: HookDeps, link: ChatLink, settings: ProjectSettings): Promise<void> {
  const ref = refOf(link);
  if (!ref || !settings.chatToJira.enabled || link.closedAt) return;
  const row = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
  if (row && row.state !== 'deleted') return;
  await deps.queues.send(queueNames.chatToJiraJobs, subscriptionJob(ref, 'ensure', deps.clock.now()));
}

/** After the chat is closed (issue resolved): its subscription goes, after the transcript if the project wants one. */
export async function unfollowChat(deps: HookDeps, link: ChatLink, settings: ProjectSettings): Promise<void> {
  const ref = refOf(link);
  if (!ref) return;
  const row = await readChatSubscription(deps, ref.siteId, ref.issueId, ref.kind);
  if (!row || row.state === 'deleted') return;
  const job = subscriptionJob(ref, 'delete', deps.clock.now());
  if (settings.chatToJira.enabled && settings.chatToJira.transcriptOnResolve) job.params = { ...job.params, transcript: true };
  await deps.queues.send(queueNames.chatToJiraJobs, job);
}

/** A tenant disconnected from these sites: every subscription of its chats on them goes. */
export async function unfollowTenant(deps: HookDeps, tenantId: string, siteIds: readonly string[]): Promise<number> {
  let queued = 0;
  for (const siteId of siteIds) {
    for (const row of await listChatSubscriptions(deps, siteId)) {
      if (row.tenantId !== tenantId || row.state === 'deleted') continue;
      await deps.queues.send(queueNames.chatToJiraJobs, subscriptionJob(row, 'delete', deps.clock.now()));
      queued++;
    }
  }
  return queued;
}

/**
 * The feature was turned on (or an admin asks to catch up): every created, open chat of the project gets an
 * `ensure` job. Reads the site's chat links (an admin action, never a request's path).
 */
export async function followProjectChats(deps: HookDeps, siteId: string, projectKey: string): Promise<number> {
  const links = await listPartition<ChatLink>(await deps.tables.table(tableNames.chatLinks), siteId);
  let queued = 0;
  for (const link of links) {
    const ref = refOf(link);
    if (!ref || link.closedAt || !link.issueKey.startsWith(`${projectKey}-`)) continue;
    await deps.queues.send(queueNames.chatToJiraJobs, subscriptionJob(ref, 'ensure', deps.clock.now()));
    queued++;
  }
  deps.log.info('chatToJira.followProject', { siteId, projectKey, queued });
  return queued;
}
