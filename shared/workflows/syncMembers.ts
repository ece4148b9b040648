// Keeps a chat's members in step with the issue's people: reads the chat's members, compares by Entra object id,
// and adds only who is missing (each Entra user once, however many Jira accounts map to them). Graph allows 4
// member adds (and 4 removals) per minute per chat (graph-contract §2, throttling-teams); that budget is shared
// by every job and instance through a per-chat row in Table Storage (../chats/memberPacing.ts), so concurrent
// syncs of one chat never earn Graph's 429 between them. What gets no slot now waits in the queue (visibility
// delay), never in a sleeping function. A person Graph refuses (guest policy, RosterAddMemberBlocked,
// unlicensed) is reported, never fatal.
import { ThrottledError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { addChatMember, listChatMembers, memberBinding, removeChatMember, type ChatMember } from '../graph/members.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import type { JobMessage } from '../jobs/messages.js';
import { issuePeople, issueTeams } from '../jira/issue.js';
import { findChatLink, readChatLink, updateChatLink, type ChatLink } from '../chats/chatLinks.js';
import { markChatThrottled, settleMemberSlots, takeMemberSlots, type MemberOp } from '../chats/memberPacing.js';
import { mapPeople, type MappedUser, type UnmappedUser } from '../people/mapping.js';
import type { Entity } from '../storage/tables.js';
import { requireProject, unmappedNote } from './createChat.js';
import type { WorkflowDeps } from '../jobs/deps.js';

export { memberChangesPerMinute } from '../chats/memberPacing.js';

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
      teams: issueTeams(issue, settings.memberFields),
      emailOf: async (accountId) => (await jira.getUser(accountId))?.emailAddress,
    });
    const current = await listChatMembers(graph, chatId);
    const inChat = new Set(current.map((m) => m.userId?.toLowerCase()).filter(Boolean));
    const wanted = new Map(mapping.mapped.map((m) => [m.entraObjectId.toLowerCase(), m]));
    // One Entra user can stand for several Jira accounts (a JSM customer account and an agent account with one
    // e-mail, two manual mappings): `wanted` holds each user once, and only who is not in the chat is added.
    const toAdd = [...wanted.entries()].filter(([id]) => !inChat.has(id)).map(([, m]) => m);
    const ours = link.members ?? {};
    const toRemove = settings.removeDepartedMembers
      ? current.filter((m) => m.userId && !wanted.has(m.userId.toLowerCase()) && Object.values(ours).some((id) => id.toLowerCase() === m.userId!.toLowerCase()))
      : [];

    const changes: { op: MemberOp; userId: string; add?: MappedUser; remove?: ChatMember }[] = [
      ...toAdd.map((m) => ({ op: 'add' as const, userId: m.entraObjectId.toLowerCase(), add: m })),
      ...toRemove.map((m) => ({ op: 'remove' as const, userId: m.userId!.toLowerCase(), remove: m })),
    ];
    const grant = changes.length ? await takeMemberSlots(deps, link.tenantId, chatId, changes) : { granted: [], takenByOthers: [], doneByOthers: [], retryAfterSeconds: undefined };
    const granted = new Set(grant.granted.map((g) => `${g.op}|${g.userId}`));

    const added: MappedUser[] = [];
    const refused: { user: MappedUser; code: string }[] = [];
    const removed: string[] = [];
    let throttledFor: number | undefined;
    const mine = changes.filter((c) => granted.has(`${c.op}|${c.userId}`));
    for (const [index, change] of mine.entries()) {
      try {
        if (change.add) {
          await addChatMember(graph, chatId, {
            ...memberBinding(graph.baseUrl, change.add.entraObjectId, change.add.isGuest),
            // New people see the whole history: they join an incident in progress.
            visibleHistoryStartDateTime: '0001-01-01T00:00:00Z',
          });
          added.push(change.add);
        } else if (change.remove) {
          await removeChatMember(graph, chatId, change.remove.id);
          removed.push(change.remove.userId!);
        }
      } catch (e) {
        if (e instanceof ThrottledError) {
          // Graph counted more than our slots (another app on the chat): everyone waits as long as Graph says.
          throttledFor = e.retryAfterSeconds;
          await markChatThrottled(deps, link.tenantId, chatId, change.op, e.retryAfterSeconds, mine.slice(index));
          break;
        }
        if (change.add && e instanceof GraphRequestError && [400, 403, 404].includes(e.status)) refused.push({ user: change.add, code: e.code });
        else throw e;
      }
    }
    await settleMemberSlots(deps, link.tenantId, chatId, [
      ...added.map((u) => ({ op: 'add' as const, userId: u.entraObjectId, state: 'done' as const })),
      ...removed.map((id) => ({ op: 'remove' as const, userId: id, state: 'done' as const })),
      ...refused.map((r) => ({ op: 'add' as const, userId: r.user.entraObjectId, state: 'refused' as const })),
    ]);
    const done = added.length + removed.length + refused.length;
    const later = changes.length - done - grant.doneByOthers.length;

    const unreported = [
      ...mapping.unmapped,
      ...refused.map((r) => ({ accountId: r.user.accountId, displayName: r.user.displayName, reason: `Microsoft Teams refused to add them (${r.code})` })),
    ].filter((u) => !(link!.unmappedReported ?? []).includes(u.accountId));
    if (unreported.length) {
      await jira.addInternalComment(issue.key, await unmappedNote(deps, unreported, link), issue.projectType === 'service_desk');
    }
    link = await recordOutcome(deps, link, { added, removed, unreported });

    context.log.info('chat.members-synced', { chatId, added: added.length, removed: removed.length, refused: refused.length, remaining: later });
    if (later > 0) {
      // Changes another worker holds a slot for are checked again once that slot's minute is over.
      const wait = throttledFor ?? grant.retryAfterSeconds ?? 61;
      throw new ThrottledError(`${later} member change(s) wait for the chat's 4-per-minute budget`, Math.max(1, wait));
    }
    return { outcome: 'done', detail: `added ${added.length}, removed ${removed.length}, refused ${refused.length}` };
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}

/**
 * Saves who this app put into (or took out of) the chat and who was reported, merged into the newest link row:
 * concurrent syncs of one chat each write their own part (ETag-conditional, re-read on conflict), so neither
 * loses the other's.
 */
async function recordOutcome(
  deps: WorkflowDeps,
  link: Entity<ChatLink>,
  outcome: { added: MappedUser[]; removed: string[]; unreported: UnmappedUser[] },
): Promise<Entity<ChatLink>> {
  let current: Entity<ChatLink> | undefined = link;
  for (let attempt = 0; attempt < 8 && current; attempt++) {
    const members = { ...(current.members ?? {}) };
    for (const user of outcome.added) members[user.accountId] = user.entraObjectId;
    for (const id of outcome.removed) for (const [accountId, entraId] of Object.entries(members)) if (entraId.toLowerCase() === id.toLowerCase()) delete members[accountId];
    const reported = [...new Set([...(current.unmappedReported ?? []), ...outcome.unreported.map((u) => u.accountId)])];
    const saved = await updateChatLink(deps, current, { members, unmappedReported: reported });
    if (saved) return saved;
    current = await readChatLink(deps, link.siteId, link.issueId);
  }
  return current ?? link;
}
