// A created chat for an issue, as the create-chat workflow leaves it: a chat in the in-memory Graph with the service
// user in it, and the issue's chat link row (Azurite) pointing at it. For workflow tests of what happens next.
import { reserveChatLink, updateChatLink, type ChatLink } from '../../shared/chats/chatLinks.js';
import type { JiraIssue } from '../../shared/jira/issue.js';
import type { MemoryChat } from './memoryGraph.js';
import type { MemoryWorkflow } from './memoryWorkflow.js';

export async function issueWithChat(w: MemoryWorkflow, issue: JiraIssue, link: Partial<ChatLink> = {}): Promise<MemoryChat> {
  w.jira.issues.set(issue.key, issue);
  const chat = w.graph.addChat({ topic: `${issue.key} ${issue.summary}`, memberIds: [w.serviceUser.id] });
  const reserved = await reserveChatLink(w.deps, {
    siteId: w.siteId,
    issueId: issue.id,
    issueKey: issue.key,
    kind: 'incident',
    tenantId: w.tenantId,
    state: 'creating',
    reservationId: 'earlier/1',
    reservedAt: w.clock.now().toISOString(),
    topic: chat.topic,
  });
  await updateChatLink(w.deps, reserved!, { state: 'created', chatId: chat.id, firstMessagePosted: true, remoteLinked: true, ...link });
  return chat;
}
