// Short updates to the chat when something that matters changes in Jira (priority, status, assignee), if the
// project's rules ask for it. The issue is read fresh, so the update states what is true now, not what an old
// delivery said. At most one message per second per chat (graph-contract §12): a faster update waits in the queue.
import { ThrottledError } from '../errors.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import type { JobMessage } from '../jobs/messages.js';
import { findChatLink, updateChatLink } from '../chats/chatLinks.js';
import { escapeHtml, link as htmlLink } from '../chats/html.js';
import { postChatMessage } from '../graph/messages.js';
import { issueUrl } from '../jira/client.js';
import { requireProject } from './createChat.js';
import type { WorkflowDeps } from '../jobs/deps.js';

export async function chatUpdateJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const settings = await requireProject(deps, job.siteId, job.issueKey);
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, settings.fieldIds);
  const link = await findChatLink(deps, job.siteId, issue.id);
  if (!link) return { outcome: 'ignored', detail: `${issue.key} has no chat` };

  const now = deps.clock.now().getTime();
  const last = link.lastUpdatePostedAt ? Date.parse(link.lastUpdatePostedAt) : 0;
  if (now - last < 1000) throw new ThrottledError('one message per second per chat', 1);
  // Claim the slot before posting, so two racing updates cannot both post within the same second.
  const claimed = await updateChatLink(deps, link, { lastUpdatePostedAt: new Date(now).toISOString() });
  if (!claimed) throw new ThrottledError('another update is being posted to this chat', 1);

  const graph = await deps.graphFor(link.tenantId, 'chats');
  try {
    await postChatMessage(
      graph,
      link.chatId!,
      `<p>${htmlLink(issueUrl(jira.baseUrl, issue.key), issue.key)} now: priority <b>${escapeHtml(issue.priority ?? '—')}</b>, ` +
        `status <b>${escapeHtml(issue.status ?? '—')}</b>, assignee <b>${escapeHtml(issue.assignee?.displayName ?? 'Unassigned')}</b>.</p>`,
    );
    return { outcome: 'done', detail: `update posted to ${link.chatId}` };
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}
