// A chat deleted in Teams (issue 12 item 6). Graph answers 404 for a chat that no longer exists; the job must not be
// retried into the poison queue, nor may a new chat appear behind everyone's back. So, once, for the issue's chat:
// confirm with GET /chats/{id} (a 404 on a sub-resource, such as a membership, does not mean the chat is gone),
// record it on the chat link (`goneAt`), note it on the issue, and end the job with `chat_gone`. Later chat actions
// for the issue end with the same reason; jobs that only post to the chat find no chat.
import { PermanentError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { chatIdInPath, getChat } from '../graph/chats.js';
import type { JobContext } from '../jobs/runJob.js';
import type { JobMessage } from '../jobs/messages.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { readChatLink, updateChatLink, type ChatLink } from './chatLinks.js';

/** The error a chat job should end with: `chat_gone` when `e` is a 404 for the issue's chat and Graph confirms it. */
export async function recordIfChatGone(deps: WorkflowDeps, context: JobContext, job: JobMessage, e: unknown): Promise<unknown> {
  if (!(e instanceof GraphRequestError) || e.status !== 404) return e;
  const chatId = chatIdInPath(e.path);
  if (!chatId) return e;
  try {
    const jira = await deps.jiraFor(job.siteId);
    const issue = await jira.getIssue(job.issueKey);
    const link = await readChatLink(deps, job.siteId, issue.id);
    if (!link || link.chatId !== chatId) return e;
    if (!link.goneAt) {
      const graph = await deps.graphFor(link.tenantId, 'chats');
      try {
        await getChat(graph, chatId);
        return e; // the chat is there: the 404 was about something in it
      } catch (x) {
        if (!(x instanceof GraphRequestError && x.status === 404)) return e;
      } finally {
        context.graphRequestIds.push(...graph.requestIds);
      }
      const now = deps.clock.now().toISOString();
      // ETag-conditional: of two jobs meeting the deleted chat at once, one records it and notes the issue.
      const marked = await updateChatLink(deps, link, { goneAt: now, goneReason: `Graph answered ${e.status} ${e.code} for the chat` });
      if (marked) {
        context.log.warn('chat.gone', { chatId, issueKey: issue.key, graphRequestId: e.requestId });
        await jira.addInternalComment(issue.key, goneNote(marked), issue.projectType === 'service_desk');
      }
    }
    return chatGoneError(link.goneAt ? link : { ...link, goneAt: deps.clock.now().toISOString() });
  } catch {
    // Looking closer failed (Jira or Graph unreachable): judge the original error as it is.
    return e;
  }
}

export function chatGoneError(link: Pick<ChatLink, 'chatId' | 'issueKey' | 'goneAt'>): PermanentError {
  return new PermanentError(
    `the Teams chat ${link.chatId} of ${link.issueKey} no longer exists (deleted in Teams; recorded ${link.goneAt}); it is not recreated automatically`,
    'chat_gone',
    { chatId: link.chatId },
  );
}

function goneNote(link: ChatLink): string {
  return [
    `The Microsoft Teams chat for this issue ("${link.topic}") no longer exists: Microsoft Graph reports it deleted.`,
    'The bridge does not create a replacement by itself, so no one is pulled into a new chat unexpectedly; updates for this issue are no longer posted to Teams.',
  ].join('\n');
}
