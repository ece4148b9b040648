// Creating the Teams chat for an issue: exactly one chat per (site, issue, kind), whatever Jira, Automation or the
// queue repeats, however workers race, and if a process dies between POST /chats and saving the link.
//
// How: the chat-link row is reserved before POST /chats (conditional insert; each attempt has its own token). A
// worker that finds another attempt's fresh reservation waits (back to the queue, no sleeping). A worker that finds
// a reservation whose attempt gave up (or whose lease ran out because its process died) first asks Graph whether
// that attempt created the chat after all (the service user's chats with that exact topic, created after the
// reservation) and adopts it; only when there is none does it create one. Each follow-up step (first message,
// remote link, unmapped report) is flagged on the row, so a repeat finishes what is missing and nothing else.
import { randomUUID } from 'node:crypto';
import { PermanentError, ThrottledError } from '../errors.js';
import { GraphRequestError } from '../graph/client.js';
import { createGroupChat as postGroupChat, listMyChatsByTopic, type GraphChat, type NewGroupChat } from '../graph/chats.js';
import { memberBinding } from '../graph/members.js';
import { listRecentChatMessages, postChatMessage } from '../graph/messages.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { GraphSession } from '../graph/session.js';
import { followChat } from '../chatToJira/hooks.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import { queueFor, type JobMessage, type NewJobMessage } from '../jobs/messages.js';
import { chatKindOf, type ChatKind } from '../actions.js';
import { issuePeople, issueTeams, type JiraIssue, type JiraUser, type MemberField } from '../jira/issue.js';
import type { JiraApi } from '../jira/client.js';
import { escapeHtml, escapeMultiline, issueDetailsHtml } from '../chats/html.js';
import { renderTopic } from '../chats/topic.js';
import { readChatLink, reserveChatLink, updateChatLink, type ChatLink } from '../chats/chatLinks.js';
import { chatGoneError } from '../chats/chatGone.js';
import { mapPeople, type MappedUser, type UnmappedUser } from '../people/mapping.js';
import { selfLinkUrl } from '../people/selfLink.js';
import type { ProjectSettings } from '../rules/projectSettings.js';
import type { Entity } from '../storage/tables.js';

/** How long a reservation protects a creation in progress before another worker may take it over. */
export const reservationLeaseSeconds = 120;
/**
 * After an attempt gave up without knowing whether Graph created the chat (a dropped connection, a 5xx), how long
 * the next one waits before looking for it: long enough for a slow create to land, short enough not to matter.
 */
export const abandonedGraceSeconds = 10;
/**
 * Time kept in hand when deciding whether to renew the lease before POST /chats: the call may take up to
 * GRAPH_TIMEOUT_SECONDS and saving the link a little more, all of which must end before the lease does.
 */
const leaseMarginSeconds = 30;
/** Longest single wait for another worker's creation before checking again. */
const maxWaitSeconds = 10;

export interface ChatRequest {
  siteId: string;
  issueKey: string;
  kind: ChatKind;
  /** The reservation id: the job id, stable across the queue's redeliveries of the same message. */
  jobId: string;
  params?: { topic?: string; members?: string[]; message?: string };
}

export interface EnsuredChat {
  chatId: string;
  webUrl?: string;
  created: boolean;
  /** The kind of the issue's chat: the one that created it, which may differ from the one asked for. */
  kind: ChatKind;
  issue: JiraIssue;
  settings: ProjectSettings;
}

export async function createChatJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const kind = chatKindOf[job.action];
  if (!kind) throw new PermanentError(`action ${job.action} does not create a chat`, 'wrong_action');
  const chat = await ensureChatForIssue(deps, context, {
    siteId: job.siteId,
    issueKey: job.issueKey,
    kind,
    jobId: job.jobId,
    params: job.params as ChatRequest['params'],
  });
  if (chat.created) return { outcome: 'done', detail: `created chat ${chat.chatId}` };
  // One chat per issue, whatever Automation sends: another kind of chat action reuses the chat the issue has, and
  // the audit says so (the HTTP answer was a 202 before this ran; the intake cannot know without asking Jira for
  // the issue id).
  if (chat.kind !== kind) return { outcome: 'done', detail: `reused the ${chat.kind} chat ${chat.chatId} (one chat per issue); no ${kind} chat was created` };
  return { outcome: 'done', detail: `chat ${chat.chatId} already existed; follow-up steps checked` };
}

export async function ensureChatForIssue(deps: WorkflowDeps, context: JobContext, request: ChatRequest): Promise<EnsuredChat> {
  const { siteId } = request;
  const settings = await requireProject(deps, siteId, request.issueKey);
  const jira = await deps.jiraFor(siteId);
  // Jira is the source of truth: the job reads the issue now, whatever the event said.
  const issue = await jira.getIssue(request.issueKey, settings.fieldIds, { watchers: settings.memberFields.includes('watchers') });
  const graph = await deps.graphFor(settings.tenantId, 'chats');
  try {
    let link = await readChatLink(deps, siteId, issue.id);
    if (link?.goneAt) throw chatGoneError(link);
    let createdNow = false;
    let unmapped: UnmappedUser[] = [];
    if (link?.state !== 'created') {
      ({ link, createdNow, unmapped } = await createOnce(deps, context, graph, { request, issue, settings, existing: link }));
    }
    const finished = await finishChat(deps, context, { graph, jira, link, issue, settings, createdNow, unmapped, params: request.params });
    await followChat(deps, finished, settings);
    return { chatId: finished.chatId!, webUrl: finished.webUrl, created: createdNow, kind: finished.kind, issue, settings };
  } finally {
    context.graphRequestIds.push(...graph.requestIds);
  }
}

export async function requireProject(deps: WorkflowDeps, siteId: string, issueKey: string): Promise<ProjectSettings> {
  const projectKey = issueKey.split('-')[0]!;
  const settings = await deps.projectSettings(siteId, projectKey);
  if (!settings) throw new PermanentError(`project ${projectKey} is not configured for site ${siteId}`, 'project_not_configured');
  if (!settings.enabled) throw new PermanentError(`project ${projectKey} is switched off`, 'project_disabled');
  return settings;
}

interface CreateInput {
  request: ChatRequest;
  issue: JiraIssue;
  settings: ProjectSettings;
  existing: Entity<ChatLink> | undefined;
}

async function createOnce(
  deps: WorkflowDeps,
  context: JobContext,
  graph: GraphSession,
  { request, issue, settings, existing }: CreateInput,
): Promise<{ link: Entity<ChatLink>; createdNow: boolean; unmapped: UnmappedUser[] }> {
  const now = deps.clock.now();
  const topic = request.params?.topic ? renderTopic(request.params.topic, issue) : renderTopic(settings.topicTemplate, issue);
  // Each attempt has its own token, so a second delivery of the same message running at the same time is told
  // apart from this one (and waits), instead of being mistaken for a crashed earlier attempt of this job.
  const attempt = `${request.jobId}/${randomUUID().slice(0, 8)}`;
  let link = existing;
  let reservedNow = false;
  if (!link) {
    link = await reserveChatLink(deps, {
      siteId: request.siteId,
      issueId: issue.id,
      issueKey: issue.key,
      kind: request.kind,
      tenantId: settings.tenantId,
      state: 'creating',
      reservationId: attempt,
      reservedAt: now.toISOString(),
      topic,
    });
    reservedNow = Boolean(link);
    link ??= await readChatLink(deps, request.siteId, issue.id);
    if (!link) throw new ThrottledError('the chat link changed while reserving it', 1);
    if (link.state === 'created') return { link, createdNow: false, unmapped: [] };
  }

  if (!reservedNow) {
    const ageSeconds = (now.getTime() - Date.parse(link.reservedAt)) / 1000;
    const abandonedSeconds = link.abandonedAt ? (now.getTime() - Date.parse(link.abandonedAt)) / 1000 : undefined;
    const free =
      link.released === true || ageSeconds >= reservationLeaseSeconds || (abandonedSeconds !== undefined && abandonedSeconds >= abandonedGraceSeconds);
    if (!free) {
      const wait = abandonedSeconds !== undefined ? abandonedGraceSeconds - abandonedSeconds : reservationLeaseSeconds - ageSeconds;
      throw new ThrottledError(`another attempt (${link.reservationId}) is creating the chat for ${issue.key}`, Math.min(maxWaitSeconds, Math.ceil(wait) + 1));
    }
    // The earlier attempt died or gave up: it may have created the chat before it could save the link (unless it
    // released the reservation knowing it had created nothing).
    const adopted = link.released ? undefined : await findChatCreatedBy(graph, link);
    const taken = await updateChatLink(deps, link, {
      reservationId: attempt,
      reservedAt: now.toISOString(),
      abandonedAt: undefined,
      released: undefined,
      ...(adopted ? { state: 'created' as const, chatId: adopted.id, webUrl: adopted.webUrl ?? undefined, createdAt: adopted.createdDateTime ?? undefined } : {}),
    });
    if (!taken) throw new ThrottledError('another worker took over the chat creation', 5);
    link = taken;
    if (adopted) {
      context.log.warn('chat.recovered', { chatId: adopted.id, topic: link.topic, previousReservation: existing?.reservationId });
      return { link, createdNow: false, unmapped: [] };
    }
  }

  const jira = await deps.jiraFor(request.siteId);
  let mapping: Awaited<ReturnType<typeof mapPeople>>;
  try {
    const people = await chatPeople(deps, request, issue, settings);
    mapping = await mapPeople(deps, graph, settings.tenantId, people, {
      siteId: request.siteId,
      issueKey: issue.key,
      teams: issueTeams(issue, settings.memberFields),
      emailOf: async (accountId) => (await jira.getUser(accountId))?.emailAddress,
    });
  } catch (e) {
    // Nothing was sent to POST /chats yet, so this attempt certainly created no chat: release the reservation, or
    // the retry (after a Retry-After of a few seconds) would wait out this attempt's own lease (issue 12, item 7).
    await updateChatLink(deps, link, { released: true }).catch(() => undefined);
    throw e;
  }
  if (!mapping.mapped.some((m) => m.entraObjectId.toLowerCase() !== graph.serviceUserObjectId?.toLowerCase())) {
    // A group chat needs someone besides the service user. Say who could not be mapped, release the reservation
    // (no chat was created) so a later run after a mapping is added creates it at once, and end with that reason.
    const reported = await reportUnmapped(deps, context, { jira, issue, link, unmapped: mapping.unmapped });
    await updateChatLink(deps, reported, { released: true });
    throw new PermanentError(
      `no one on ${issue.key} could be mapped to a Microsoft 365 user (${mapping.unmapped.length} unmapped); add mappings and run the action again`,
      'chat_no_members',
    );
  }
  // Reading the people (Jira, then Graph lookups) may have used most of the lease, each call within its own
  // deadline. If POST /chats could outlast the lease, another worker would take over, find no chat yet and create
  // a second one; so renew it first. The write is ETag-conditional: it also proves nobody took over meanwhile.
  const ageSeconds = (deps.clock.now().getTime() - Date.parse(link.reservedAt)) / 1000;
  if (ageSeconds > reservationLeaseSeconds - deps.config.timeouts.graphMs / 1000 - leaseMarginSeconds) {
    const renewed = await updateChatLink(deps, link, { reservedAt: deps.clock.now().toISOString() });
    if (!renewed) throw new ThrottledError('another worker took over the chat creation while this one read the people', 5);
    link = renewed;
  }
  let chat: CreatedChat;
  try {
    chat = await createGroupChat(deps, context, graph, link.topic, mapping.mapped);
  } catch (e) {
    // A Graph error answer other than 429/5xx means Graph refused the create and made nothing: release the
    // reservation. Otherwise (a dropped connection, a 5xx) whether Graph created the chat is unknown; say so on the
    // row, so the next attempt may look for it after a short grace instead of waiting out the whole lease. (A
    // process that dies here leaves the lease to expire.)
    const refused = (e instanceof GraphRequestError && e.status < 500) || e instanceof PermanentError;
    await updateChatLink(deps, link, refused ? { released: true } : { abandonedAt: deps.clock.now().toISOString() }).catch(() => undefined);
    throw e;
  }
  const saved = await updateChatLink(deps, link, {
    state: 'created',
    chatId: chat.id,
    webUrl: chat.webUrl,
    createdAt: chat.createdDateTime ?? deps.clock.now().toISOString(),
    members: Object.fromEntries(chat.members.map((m) => [m.accountId, m.entraObjectId])),
    // Kept on the row until reported: a run deferred after this point (a 429 on the first message) must still
    // tell the issue who is missing when it resumes, without mapping everyone again.
    unmappedPending: mapping.unmapped.length ? mapping.unmapped : undefined,
  });
  if (!saved) {
    // Only possible if this worker stalled past the lease and another adopted or created the chat meanwhile.
    context.log.error('chat.duplicate-suspected', { chatId: chat.id, issueKey: issue.key });
    throw new PermanentError(`chat ${chat.id} was created but another worker changed the link first`, 'chat_link_conflict');
  }
  if (chat.pending.length) await queueMemberSync(deps, request);
  context.log.info('chat.created', { chatId: chat.id, members: chat.members.length, pendingMembers: chat.pending.length, unmapped: mapping.unmapped.length });
  return { link: saved, createdNow: true, unmapped: mapping.unmapped };
}

/** The issue's people for this kind of chat, plus anyone Automation named (accountIds or e-mails). */
async function chatPeople(deps: WorkflowDeps, request: ChatRequest, issue: JiraIssue, settings: ProjectSettings): Promise<JiraUser[]> {
  // A customer chat is agent ⇄ customer: the JSM customer (the reporter) is always invited when they map.
  const fields: MemberField[] = request.kind === 'customer' ? [...new Set<MemberField>([...settings.memberFields, 'reporter'])] : settings.memberFields;
  const people = issuePeople(issue, fields);
  for (const extra of request.params?.members ?? []) {
    if (extra.includes('@')) people.push({ accountId: `email:${extra.toLowerCase()}`, emailAddress: extra, displayName: extra });
    else if (!people.some((p) => p.accountId === extra)) {
      const jira = await deps.jiraFor(request.siteId);
      people.push((await jira.getUser(extra)) ?? { accountId: extra });
    }
  }
  return people;
}

interface CreatedChat {
  id: string;
  webUrl?: string;
  createdDateTime?: string;
  members: MappedUser[];
  /** People left out of the create call because one of them made it fail; added one by one afterwards. */
  pending: MappedUser[];
}

async function createGroupChat(deps: WorkflowDeps, context: JobContext, graph: GraphSession, topic: string, people: MappedUser[]): Promise<CreatedChat> {
  if (!graph.serviceUserObjectId) throw new PermanentError('chats are created by the service user; app-only mode cannot create them', 'service_user_required');
  const others = people.filter((p) => p.entraObjectId.toLowerCase() !== graph.serviceUserObjectId!.toLowerCase());
  const body = (members: MappedUser[]): NewGroupChat => ({
    chatType: 'group',
    topic,
    // In delegated mode the caller must be in `members` (graph-contract §1); guests need the guest role.
    members: [
      memberBinding(graph.baseUrl, graph.serviceUserObjectId!, false),
      ...members.map((m) => memberBinding(graph.baseUrl, m.entraObjectId, m.isGuest)),
    ],
  });
  try {
    const chat = await postGroupChat(graph, body(others));
    return { ...created(chat), members: others, pending: [] };
  } catch (e) {
    if (!isMemberRefusal(e) || others.length === 0) throw e;
    context.log.warn('chat.create-members-refused', { code: e.code, status: e.status, members: others.length });
  }
  // One member Graph refuses (guest policy, RosterAddMemberBlocked, unlicensed, deleted) must not cost everyone the
  // chat. A group chat needs a second member, so create it with the first person Graph accepts (a refused create
  // creates nothing) and add the others one by one afterwards, where a refusal concerns that person only.
  const refused: string[] = [];
  for (const [index, first] of others.slice(0, 5).entries()) {
    try {
      const chat = await postGroupChat(graph, body([first]));
      return { ...created(chat), members: [first], pending: others.filter((_, i) => i !== index) };
    } catch (e) {
      if (!isMemberRefusal(e)) throw e;
      refused.push(`${first.displayName ?? first.accountId}: ${e.code}`);
    }
  }
  throw new PermanentError(`Microsoft Teams refused to create the chat with any of its people (${refused.join('; ')})`, 'chat_members_refused');
}

/** What the workflow keeps of a created chat (Graph's nullable properties as absent ones). */
function created(chat: GraphChat): Pick<CreatedChat, 'id' | 'webUrl' | 'createdDateTime'> {
  return { id: chat.id, webUrl: chat.webUrl ?? undefined, createdDateTime: chat.createdDateTime ?? undefined };
}

/**
 * Error codes with which Teams refuses one member of a chat (a roster or guest policy blocks that person). Graph
 * says to branch on `code`, never on `message` (graph-contract §13); a bare `Forbidden` or `BadRequest` says
 * nothing about the people: it is the service user's own access (a lost Teams licence answers 403 `Forbidden`,
 * "Failed to get license information for the user", msgraph-sdk-powershell#1666) or a bad request (a topic Graph
 * refuses), and retrying with fewer people would only hide it.
 */
const memberRefusalCodes = new Set(['RosterAddMemberBlocked']);

function isMemberRefusal(e: unknown): e is GraphRequestError {
  if (!(e instanceof GraphRequestError)) return false;
  // POST /chats itself always exists: a 404 there is a `users('…')` binding that names no one.
  if (e.status === 404) return true;
  return (e.status === 400 || e.status === 403) && memberRefusalCodes.has(e.code);
}

/** The chat an earlier attempt created: the service user's chat with this topic, created after the reservation. */
async function findChatCreatedBy(graph: GraphSession, link: ChatLink): Promise<GraphChat | undefined> {
  const chats = await listMyChatsByTopic(graph, link.topic);
  // Clocks differ between us and Graph; allow a minute of skew before the reservation.
  const since = Date.parse(link.reservedAt) - 60_000;
  return chats
    .filter((c) => c.topic === link.topic && (!c.createdDateTime || Date.parse(c.createdDateTime) >= since))
    .sort((a, b) => Date.parse(a.createdDateTime ?? '') - Date.parse(b.createdDateTime ?? ''))[0];
}

/** The people left out of the create call are added by a paced member sync (4 adds per minute per chat). */
async function queueMemberSync(deps: WorkflowDeps, request: ChatRequest): Promise<void> {
  const message: NewJobMessage = {
    v: 1,
    kind: 'job',
    jobId: `${request.jobId}:members`,
    action: 'sync-members',
    siteId: request.siteId,
    issueKey: request.issueKey,
    source: 'internal',
    params: { kind: request.kind },
    requestedAt: deps.clock.now().toISOString(),
  };
  await deps.queues.send(queueFor('sync-members'), message);
}

interface FinishInput {
  graph: GraphSession;
  jira: JiraApi;
  link: Entity<ChatLink>;
  /** People of this run who could not be mapped (reported once per issue). */
  unmapped: UnmappedUser[];
  issue: JiraIssue;
  settings: ProjectSettings;
  createdNow: boolean;
  params?: ChatRequest['params'];
}

/** The steps after creation, each done once: first message, remote link on the issue, report of unmapped people. */
async function finishChat(deps: WorkflowDeps, context: JobContext, input: FinishInput): Promise<Entity<ChatLink>> {
  const { graph, jira, issue, params } = input;
  let link = input.link;
  const chatId = link.chatId!;

  if (!link.firstMessagePosted) {
    // After a crash between posting and flagging, the message may be there already: look before posting again.
    const alreadyPosted = !input.createdNow && (await firstMessageExists(graph, chatId, jira.baseUrl, issue.key));
    if (!alreadyPosted) {
      const intro = params?.message ? `<p>${escapeMultiline(params.message)}</p>` : '';
      await postChatMessage(graph, chatId, intro + issueDetailsHtml(issue, jira.baseUrl));
    }
    link = (await updateChatLink(deps, link, { firstMessagePosted: true })) ?? (await reread(deps, link));
  }

  if (!link.remoteLinked && link.webUrl) {
    await jira.upsertRemoteLink(issue.key, {
      globalId: `m365-bridge:chat:${link.siteId}:${link.issueId}:${link.kind}`,
      url: link.webUrl,
      title: `Teams chat: ${link.topic}`,
      summary: 'Microsoft Teams chat for this issue',
    });
    link = (await updateChatLink(deps, link, { remoteLinked: true })) ?? (await reread(deps, link));
  }

  return reportUnmapped(deps, context, { jira, issue, link, unmapped: input.unmapped });
}

/** Tells the issue (internal note) who could not be put into its chat, once per person and issue. */
async function reportUnmapped(
  deps: WorkflowDeps,
  context: JobContext,
  { jira, issue, link, unmapped }: { jira: JiraApi; issue: JiraIssue; link: Entity<ChatLink>; unmapped: UnmappedUser[] },
): Promise<Entity<ChatLink>> {
  const reported = new Set(link.unmappedReported ?? []);
  const fresh = new Map<string, UnmappedUser>();
  for (const u of [...(link.unmappedPending ?? []), ...unmapped]) if (!reported.has(u.accountId) && !fresh.has(u.accountId)) fresh.set(u.accountId, u);
  if (fresh.size === 0) return link.unmappedPending ? ((await updateChatLink(deps, link, { unmappedPending: undefined })) ?? (await reread(deps, link))) : link;
  await jira.addInternalComment(issue.key, await unmappedNote(deps, [...fresh.values()], link), issue.projectType === 'service_desk');
  context.log.info('chat.unmapped-reported', { unmapped: [...fresh.keys()] });
  return (
    (await updateChatLink(deps, link, { unmappedReported: [...reported, ...fresh.keys()], unmappedPending: undefined })) ?? (await reread(deps, link))
  );
}

async function firstMessageExists(graph: GraphSession, chatId: string, jiraBaseUrl: string, issueKey: string): Promise<boolean> {
  let messages;
  try {
    messages = await listRecentChatMessages(graph, chatId, 20);
  } catch (e) {
    // Reading messages needs Chat.Read (or Chat.ReadWrite), which the chats feature does not require: without it
    // the check is impossible, so post; after that rare crash a repeated first message beats a missing one.
    if (e instanceof GraphRequestError && e.status === 403) return false;
    throw e;
  }
  const marker = escapeHtml(`${jiraBaseUrl}/browse/${encodeURIComponent(issueKey)}`);
  return messages.some((m) => m.body?.content?.includes(marker));
}

async function reread(deps: WorkflowDeps, link: Entity<ChatLink>): Promise<Entity<ChatLink>> {
  const fresh = await readChatLink(deps, link.siteId, link.issueId);
  if (!fresh) throw new PermanentError('the chat link disappeared', 'chat_link_missing');
  return fresh;
}

/** The internal note naming who could not be put into the chat, why, and how to fix it (self-link or mapping). */
export async function unmappedNote(deps: WorkflowDeps, people: UnmappedUser[], link: Pick<ChatLink, 'tenantId' | 'siteId' | 'issueKey'>): Promise<string> {
  const lines = await Promise.all(
    people.map(async (p) => {
      if (p.team) return `- ${p.displayName ?? p.accountId}: ${p.reason}.`;
      const invite = await selfLinkUrl(deps, { tenantId: link.tenantId, siteId: link.siteId, accountId: p.accountId, issueKey: link.issueKey });
      return `- ${p.displayName ?? p.accountId} (${p.accountId}): ${p.reason}. They can link their Microsoft 365 account once, here: ${invite}`;
    }),
  );
  return [
    'These people could not be added to the Microsoft Teams chat for this issue:',
    ...lines,
    '',
    `A Jira admin can also map them (PUT ${deps.config.publicBaseUrl}/api/manage/user-mappings/${link.tenantId}/{accountId}, or import a CSV). They are added on the next update of the issue, or run "sync-members".`,
  ].join('\n');
}
