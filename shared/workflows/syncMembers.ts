// Keeps a chat's members in step with the issue's people. Graph allows 4 member adds (and 4 removals) per minute
// per chat (graph-contract §2, throttling-teams), so adds are paced: the adds of the last minute are recorded on the
// chat link, at most what the budget allows is sent now, and the job goes back to the queue with a delay for the
// rest. A person Graph refuses (guest policy, RosterAddMemberBlocked, unlicensed) is reported, never fatal.
import { ThrottledError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import type { JobMessage } from '../jobs/messages.js';
import { issuePeople } from '../jira/issue.js';
import { findChatLink, updateChatLink } from '../chats/chatLinks.js';
import { mapPeople, type MappedUser } from '../people/mapping.js';
import { memberBinding, requireProject, unmappedNote } from './createChat.js';
import type { WorkflowDeps } from './deps.js';

export const memberChangesPerMinute = 4;

interface GraphMember {
  id: string;
  userId?: string;
  email?: string;
  roles?: string[];
}

export async function syncMembersJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const settings = await requireProject(deps, job.siteId, job.issueKey);
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, settings.fieldIds, { watchers: settings.memberFields.includes('watchers') });
  let link = await findChatLink(deps, job.siteId, issue.id);
  if (!link) return { outcome: 'ignored', detail: `${issue.key} has no chat yet` };
  const chatId = link.chatId!;

  const graph = await deps.graphFor(link.tenantId, 'chats');
  try {
    const people = issuePeople(issue, link.kind === 'customer' ? [...new Set([...settings.memberFields, 'reporter' as const])] : settings.memberFields);
    const mapping = await mapPeople(deps, graph, link.tenantId, people, {
      siteId: job.siteId,
      issueKey: issue.key,
      emailOf: async (accountId) => (await jira.getUser(accountId))?.emailAddress,
    });
    const current = (await graph.get<{ value?: GraphMember[] }>(`/chats/${encodeURIComponent(chatId)}/members`)).body.value ?? [];
    const inChat = new Set(current.map((m) => m.userId?.toLowerCase()).filter(Boolean));
    const wanted = new Map(mapping.mapped.map((m) => [m.entraObjectId.toLowerCase(), m]));
    const toAdd = mapping.mapped.filter((m) => !inChat.has(m.entraObjectId.toLowerCase()));
    const ours = link.members ?? {};
    const toRemove = settings.removeDepartedMembers
      ? current.filter((m) => m.userId && !wanted.has(m.userId.toLowerCase()) && Object.values(ours).some((id) => id.toLowerCase() === m.userId!.toLowerCase()))
      : [];

    const now = deps.clock.now().getTime();
    const recent = (link.memberChangeTimes ?? []).filter((t) => now - Date.parse(t) < 60_000);
    const budget = Math.max(0, memberChangesPerMinute - recent.length);
    const changes = [...toAdd.map((m) => ({ add: m })), ...toRemove.map((m) => ({ remove: m }))];
    const changesNow = changes.slice(0, budget);
    const later = changes.length - changesNow.length;

    const added: MappedUser[] = [];
    const refused: { user: MappedUser; code: string }[] = [];
    const removed: string[] = [];
    for (const change of changesNow) {
      recent.push(deps.clock.now().toISOString());
      if ('add' in change) {
        try {
          await graph.post(`/chats/${encodeURIComponent(chatId)}/members`, {
            ...memberBinding(deps.config.graphBaseUrl, change.add.entraObjectId, change.add.isGuest),
            // New people see the whole history: they join an incident in progress.
            visibleHistoryStartDateTime: '0001-01-01T00:00:00Z',
          });
          added.push(change.add);
        } catch (e) {
          if (e instanceof GraphRequestError && [400, 403, 404].includes(e.status)) refused.push({ user: change.add, code: e.code });
          else throw e;
        }
      } else {
        await graph.delete(`/chats/${encodeURIComponent(chatId)}/members/${encodeURIComponent(change.remove.id)}`);
        removed.push(change.remove.userId!);
      }
    }

    const members = { ...ours };
    for (const user of added) members[user.accountId] = user.entraObjectId;
    for (const id of removed) for (const [accountId, entraId] of Object.entries(members)) if (entraId.toLowerCase() === id.toLowerCase()) delete members[accountId];
    const reported = new Set(link.unmappedReported ?? []);
    const unreported = [
      ...mapping.unmapped,
      ...refused.map((r) => ({ accountId: r.user.accountId, displayName: r.user.displayName, reason: `Microsoft Teams refused to add them (${r.code})` })),
    ].filter((u) => !reported.has(u.accountId));
    if (unreported.length) {
      await jira.addInternalComment(issue.key, await unmappedNote(deps, unreported, link), issue.projectType === 'service_desk');
    }
    link =
      (await updateChatLink(deps, link, {
        members,
        memberChangeTimes: recent,
        unmappedReported: [...reported, ...unreported.map((u) => u.accountId)],
      })) ?? link;

    context.log.info('chat.members-synced', { chatId, added: added.length, removed: removed.length, refused: refused.length, remaining: later });
    if (later > 0) {
      const oldest = Math.min(...recent.map((t) => Date.parse(t)));
      throw new ThrottledError(`${later} member change(s) wait for the chat's 4-per-minute budget`, Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000)));
    }
    return { outcome: 'done', detail: `added ${added.length}, removed ${removed.length}, refused ${refused.length}` };
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}
