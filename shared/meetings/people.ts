// Mapping an issue's people to Entra users for meetings and Bookings. Looking people up is the chats feature's job
// (its consent carries User.ReadBasic.All), so the lookup runs on the chats session. A tenant without the chats
// feature maps nobody, and the caller carries on without invitees or staff.
import { PermanentError } from '../errors.js';
import type { JiraUser } from '../jira/issue.js';
import type { JobContext } from '../jobs/runJob.js';
import { mapPeople, type MappedUser } from '../people/mapping.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { GraphSession } from '../graph/session.js';

export async function mapThroughChatsSession(
  deps: WorkflowDeps,
  context: Pick<JobContext, 'log'>,
  sessions: GraphSession[],
  tenantId: string,
  people: JiraUser[],
  where: { siteId: string; issueKey: string },
): Promise<MappedUser[]> {
  if (people.length === 0) return [];
  let graph: GraphSession;
  try {
    graph = await deps.graphFor(tenantId, 'chats');
    sessions.push(graph);
  } catch (e) {
    if (!(e instanceof PermanentError)) throw e;
    context.log.warn('people.mapping-unavailable', { reason: e.message });
    return [];
  }
  return (await mapPeople(deps, graph, tenantId, people, where)).mapped;
}
