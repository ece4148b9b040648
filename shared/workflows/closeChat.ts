// On resolution: post a resolution summary to the issue's chat and, when the project (or the request) asks for
// it, prefix the topic (e.g. "[Resolved] "). Done once per resolution: a reopened and resolved-again issue gets a
// new summary, a repeated delivery does not.
import type { JobContext, JobResult } from '../jobs/runJob.js';
import type { JobMessage } from '../jobs/messages.js';
import { findChatLink, updateChatLink } from '../chats/chatLinks.js';
import { escapeHtml, escapeMultiline, link as htmlLink, postChatMessage } from '../chats/html.js';
import { sanitiseTopic } from '../chats/topic.js';
import { issueUrl } from '../jira/client.js';
import { GraphRequestError } from '../graph/client.js';
import { requireProject } from './createChat.js';
import type { WorkflowDeps } from './deps.js';
import { unfollowChat } from '../chatToJira/hooks.js';

export async function closeChatJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const settings = await requireProject(deps, job.siteId, job.issueKey);
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, settings.fieldIds);
  let link = await findChatLink(deps, job.siteId, issue.id);
  if (!link) return { outcome: 'ignored', detail: `${issue.key} has no chat` };
  if (!issue.resolution) return { outcome: 'ignored', detail: `${issue.key} is not resolved (any more)` };
  const resolutionMark = `${issue.resolution}|${issue.status ?? ''}`;
  if (link.closedFor === resolutionMark) return { outcome: 'ignored', detail: 'the resolution summary was already posted' };

  const params = job.params as { summary?: string; renameTopic?: boolean };
  const graph = await deps.graphFor(link.tenantId, 'chats');
  try {
    const summary = params.summary ? `<p>${escapeMultiline(params.summary)}</p>` : '';
    await postChatMessage(
      graph,
      link.chatId!,
      `<p>✅ <b>${htmlLink(issueUrl(jira.baseUrl, issue.key), issue.key)}</b> was resolved: <b>${escapeHtml(issue.resolution)}</b>` +
        ` (status ${escapeHtml(issue.status ?? 'unknown')}, assignee ${escapeHtml(issue.assignee?.displayName ?? 'none')}).</p>${summary}`,
    );
    link = (await updateChatLink(deps, link, { closedFor: resolutionMark, closedAt: deps.clock.now().toISOString() })) ?? link;

    const rename = params.renameTopic ?? settings.renameOnResolve;
    if (rename && settings.resolvedTopicPrefix && !link.topic.startsWith(settings.resolvedTopicPrefix.trim())) {
      const topic = sanitiseTopic(settings.resolvedTopicPrefix + link.topic);
      try {
        await graph.patch(`/chats/${encodeURIComponent(link.chatId!)}`, { topic });
        await updateChatLink(deps, link, { topic });
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
