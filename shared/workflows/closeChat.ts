// On resolution: post a resolution summary to the issue's chat and, when the project (or the request) asks for
// it, prefix the topic (e.g. "[Resolved] "). Done once per resolution of the issue, whatever delivered it (Jira
// resending a webhook with a new delivery id, a webhook plus an Automation rule, the queue repeating a message): the
// "posted" flag on the chat link is keyed on the resolution itself, Jira's `resolutiondate`, which Jira sets when
// the issue is resolved and clears when it is reopened. So a later status change of the same resolution (Resolved →
// Closed) posts nothing, and a reopened and resolved-again issue gets a new summary.
//
// Racing deliveries: the job claims the resolution on the link row (ETag-conditional) before it posts; a second job
// finding a fresh claim goes back to the queue and then finds the resolution posted.
import { ThrottledError } from '../errors.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import type { JobMessage } from '../jobs/messages.js';
import { findChatLink, updateChatLink, type ChatLink } from '../chats/chatLinks.js';
import { escapeHtml, escapeMultiline, link as htmlLink } from '../chats/html.js';
import { postChatMessage } from '../graph/messages.js';
import { setChatTopic } from '../graph/chats.js';
import { sanitiseTopic } from '../chats/topic.js';
import { issueUrl } from '../jira/client.js';
import { GraphRequestError } from '../graph/client.js';
import type { Entity } from '../storage/tables.js';
import { requireProject } from './createChat.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { unfollowChat } from '../chatToJira/hooks.js';

/** How long a claim protects a summary being posted before another job may take over (a crashed worker). */
export const closingLeaseSeconds = 60;

export async function closeChatJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const settings = await requireProject(deps, job.siteId, job.issueKey);
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, settings.fieldIds);
  let link = await findChatLink(deps, job.siteId, issue.id);
  if (!link) return { outcome: 'ignored', detail: `${issue.key} has no chat` };
  if (!issue.resolution) return { outcome: 'ignored', detail: `${issue.key} is not resolved (any more)` };
  // Without a resolution date (a field configuration that hides it) the resolution's name is the best key left.
  const resolutionMark = issue.resolutionDate ? `resolved ${issue.resolutionDate}` : `resolution ${issue.resolution}`;

  const params = job.params as { summary?: string; renameTopic?: boolean };
  const rename = (params.renameTopic ?? settings.renameOnResolve) && settings.resolvedTopicPrefix ? settings.resolvedTopicPrefix : undefined;
  const renamed = (l: ChatLink) => !rename || l.topic.startsWith(rename.trim());
  if (link.closedFor === resolutionMark && renamed(link)) return { outcome: 'ignored', detail: 'the resolution summary was already posted' };

  const graph = await deps.graphFor(link.tenantId, 'chats');
  try {
    if (link.closedFor !== resolutionMark) {
      const now = deps.clock.now();
      const claimAge = link.closingFor === resolutionMark && link.closingAt ? (now.getTime() - Date.parse(link.closingAt)) / 1000 : Infinity;
      if (claimAge < closingLeaseSeconds) throw new ThrottledError(`another job is posting the resolution summary of ${issue.key}`, 2);
      const claimed = await updateChatLink(deps, link, { closingFor: resolutionMark, closingAt: now.toISOString() });
      if (!claimed) throw new ThrottledError('the chat link changed while claiming the resolution summary', 1);
      link = claimed;

      const summary = params.summary ? `<p>${escapeMultiline(params.summary)}</p>` : '';
      await postChatMessage(
        graph,
        link.chatId!,
        `<p>✅ <b>${htmlLink(issueUrl(jira.baseUrl, issue.key), issue.key)}</b> was resolved: <b>${escapeHtml(issue.resolution)}</b>` +
          ` (status ${escapeHtml(issue.status ?? 'unknown')}, assignee ${escapeHtml(issue.assignee?.displayName ?? 'none')}).</p>${summary}`,
      );
      link = await settle(deps, link, { closedFor: resolutionMark, closedAt: deps.clock.now().toISOString(), closingFor: undefined, closingAt: undefined });
    }

    if (rename && !renamed(link)) {
      const topic = sanitiseTopic(rename + link.topic);
      try {
        await setChatTopic(graph, link.chatId!, topic);
        await settle(deps, link, { topic });
      } catch (e) {
        // Renaming needs the optional Chat.ReadWrite scope; without it only this capability is lost.
        if (!(e instanceof GraphRequestError && e.status === 403)) throw e;
        context.log.warn('capability.degraded', { capability: 'renaming the chat topic on resolution', scope: 'Chat.ReadWrite', code: e.code });
      }
    }
    await unfollowChat(deps, link, settings);
    return { outcome: 'done', detail: `resolution summary posted to ${link.chatId}` };
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}

/** Writes `changes` even if another job touched the row meanwhile (member sync, short updates): re-read and retry. */
async function settle(deps: WorkflowDeps, link: Entity<ChatLink>, changes: Partial<ChatLink>): Promise<Entity<ChatLink>> {
  let current = link;
  for (let attempt = 0; attempt < 5; attempt++) {
    const saved = await updateChatLink(deps, current, changes);
    if (saved) return saved;
    const fresh = await findChatLink(deps, link.siteId, link.issueId);
    if (!fresh || fresh.rowKey !== link.rowKey) break;
    current = fresh;
  }
  throw new Error(`the chat link of ${link.issueKey} kept changing while recording the resolution summary`);
}
