// One Teams message a change notification (or a back-fill) announced → what it asks of the Jira issue.
//
// Order, and why:
// 1. The message is read with the chat-to-jira service user's token (notifications carry no resource data).
// 2. No loops: messages by either service user (chats or chat-to-jira: the bridge's own posts, including its
//    answers here) and by applications are never acted on.
// 3. Only a command at the start of the message (or, when the project mirrors, any human message) does anything.
// 4. The message is claimed (store.ts) so a notification delivered twice, a back-fill overlapping a live
//    notification, or a retried job acts once, keyed on the message id.
// 5. The author is mapped back to a Jira account (the reverse user mapping: manual, e-mail, self-link) and that
//    account's Jira permission on the issue is asked of Jira; chat membership proves nothing. Refusals are
//    answered in the chat, at most once per person per chat every ten minutes.
// 6. The effect, then the claim is marked done, then (best effort) a short answer in the chat.
//
// Crash between reading the message and writing the comment: the claim stays; the retried job (same job id) takes
// it over and first looks for the comment's trace marker on the issue, so the comment is written once, not twice.
import { NeedsReauthError, PermanentError, ThrottledError } from '../errors.js';
import { GraphRequestError, type Graph } from '../graph/client.js';
import { getChatMessage, postChatMessage, type GraphChatMessage } from '../graph/messages.js';
import { escapeHtml, link as htmlLink } from '../chats/html.js';
import { issueUrl, type JiraApi } from '../jira/client.js';
import type { JiraIssue } from '../jira/issue.js';
import type { JobMessage } from '../jobs/messages.js';
import type { ChatKind } from '../actions.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import { accountIdFor } from '../people/mapping.js';
import type { ProjectSettings } from '../rules/projectSettings.js';
import { readServiceUser } from '../storage/serviceUsers.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { attribution, messageText, parseCommand, teamsMarker, truncate, type Command } from './commands.js';
import { claimMessage, finishMessage, mayAnswerRefusal, patchChatSubscription, readChatSubscription, readMessageRow, releaseMessage, type ChatSubscriptionRow } from './store.js';

/** How long a claim protects a worker that is still running. */
const claimLeaseSeconds = 120;
/** One refusal per person per chat in this window. */
export const refusalWindowSeconds = 600;

/**
 * Jira project permission keys (GET /rest/api/3/permissions lists them); SERVICEDESK_AGENT is the JSM agent
 * permission a site with Jira Service Management adds.
 */
const needed: Record<CommandName | 'mirror', readonly string[]> = {
  note: ['ADD_COMMENTS'],
  mirror: ['ADD_COMMENTS'],
  reply: ['ADD_COMMENTS', 'SERVICEDESK_AGENT'],
  priority: ['EDIT_ISSUES'],
  assign: ['ASSIGN_ISSUES'],
  status: ['BROWSE_PROJECTS'],
};
type CommandName = Command['name'];

interface Ctx {
  deps: WorkflowDeps;
  context: JobContext;
  job: JobMessage;
  row: ChatSubscriptionRow;
  settings: ProjectSettings;
  message: GraphChatMessage;
  author: { id: string; displayName: string };
}

export async function chatMessageJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const p = job.params as { issueId?: string; kind?: ChatKind; chatId?: string; messageId?: string };
  if (!p.issueId || !p.kind || !p.chatId || !p.messageId) throw new PermanentError('chat-message job needs issueId, kind, chatId and messageId', 'params_invalid');
  const row = await readChatSubscription(deps, job.siteId, p.issueId, p.kind);
  if (!row || row.chatId !== p.chatId || row.state === 'deleted') return { outcome: 'ignored', detail: `chat ${p.chatId} is not followed (any more)` };
  const settings = await deps.projectSettings(job.siteId, job.issueKey.split('-')[0]!);
  if (!settings?.enabled || !settings.chatToJira.enabled) return { outcome: 'ignored', detail: 'chat-to-jira is off for this project' };
  const seen = await readMessageRow(deps, p.chatId, p.messageId);
  if (seen?.state === 'done') return { outcome: 'ignored', detail: `message ${p.messageId} was already processed (${seen.outcome ?? 'done'})` };

  const reader = await deps.graphFor(row.tenantId, 'chat-to-jira');
  let message: GraphChatMessage;
  try {
    message = await getChatMessage(reader, p.chatId, p.messageId);
  } catch (e) {
    if (e instanceof GraphRequestError && e.status === 404) return done(deps, row, p.messageId, job, 'ignored', 'the message no longer exists');
    if (e instanceof GraphRequestError && e.status === 403) {
      // Retrying cannot help: the chat-to-jira service user is not in the chat or lacks Chat.Read.
      throw new PermanentError(`Graph refused reading message ${p.messageId} (403 ${e.code}): is the chat-to-jira service user (the same account as for chats) a member of the chat, with Chat.Read consented?`, 'message_unreadable');
    }
    throw e;
  } finally {
    context.graphRequestIds.push(...reader.requestIds);
  }

  const skip = await notActionable(deps, row, message, reader.serviceUserObjectId);
  if (skip) return done(deps, row, p.messageId, job, 'ignored', skip);
  const text = messageText(message.body);
  const command = parseCommand(text);
  if (!command && !settings.chatToJira.mirrorMessages) return done(deps, row, p.messageId, job, 'ignored', 'not a command');

  const claim = await claimMessage(deps, row.chatId, p.messageId, job.jobId, { leaseSeconds: claimLeaseSeconds });
  if (claim.status === 'busy') return { outcome: 'ignored', detail: `message ${p.messageId} is being processed by job ${claim.owner}` };
  if (claim.status === 'done') return { outcome: 'ignored', detail: `message ${p.messageId} was already processed (${claim.outcome ?? 'done'})` };

  const user = message.from!.user!;
  const ctx: Ctx = { deps, context, job, row, settings, message, author: { id: user.id!, displayName: user.displayName || 'someone' } };
  let outcome: { result: string; answer?: string };
  try {
    outcome = command ? await runCommand(ctx, command, text, claim.takeover) : await mirror(ctx, text, claim.takeover);
  } catch (e) {
    // Jira or Graph answered definitely (4xx, throttled, re-auth): nothing happened, the claim goes so a retry can
    // act. Anything else (a lost connection after the request left) keeps the claim for the retry to reconcile.
    if (e instanceof PermanentError || e instanceof ThrottledError || e instanceof NeedsReauthError || (e instanceof GraphRequestError && e.status < 500)) {
      await releaseMessage(deps, row.chatId, p.messageId, claim.etag).catch(() => undefined);
    }
    throw e;
  }
  await finishMessage(deps, row.chatId, p.messageId, job.jobId, outcome.result);
  await markSeen(deps, row, p.messageId);
  if (outcome.answer) await answer(ctx, outcome.answer);
  return { outcome: 'done', detail: `message ${p.messageId}: ${outcome.result}` };
}

/** Why a message must not become Jira work, or undefined when it may. */
async function notActionable(deps: WorkflowDeps, row: ChatSubscriptionRow, message: GraphChatMessage, readerId: string | undefined): Promise<string | undefined> {
  if (message.messageType && message.messageType !== 'message') return `a ${message.messageType}, not a message`;
  if (message.deletedDateTime) return 'deleted';
  if (message.from?.application) return 'posted by an application';
  const authorId = message.from?.user?.id;
  if (!authorId) return 'no author';
  const chatsUser = await readServiceUser(deps.tables, row.tenantId, 'chats');
  if (authorId === readerId || authorId === chatsUser?.objectId) return 'posted by the bridge\'s service user';
  return undefined;
}

async function runCommand(ctx: Ctx, command: Command, text: string, takeover: boolean): Promise<{ result: string; answer?: string }> {
  const { deps, job } = ctx;
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, ctx.settings.fieldIds);
  const isServiceDesk = issue.projectType === 'service_desk';
  if (command.name === 'reply' && !isServiceDesk) {
    return { result: 'refused: /reply on a non-JSM issue', answer: `<p>/reply sends a reply to the customer of a Jira Service Management request; ${escapeHtml(issue.key)} is not one. Use /note for an internal note.</p>` };
  }
  const allowed = await authorise(ctx, jira, issue, command.name);
  if ('result' in allowed) return allowed;
  const { accountId } = allowed;

  switch (command.name) {
    case 'note':
    case 'reply': {
      if (!command.argument) return { result: `refused: empty /${command.name}`, answer: `<p>Write the text after /${command.name}.</p>` };
      const internal = command.name === 'note';
      await commentOnce(ctx, jira, issue, command.argument, { internal, serviceDesk: isServiceDesk }, takeover);
      return { result: internal ? 'internal note added' : 'customer reply added', answer: `<p>${internal ? 'Internal note added to' : 'Reply sent to the customer of'} ${issueLink(jira, issue)}.</p>` };
    }
    case 'priority': {
      const priorities = await jira.listPriorities();
      const wanted = command.argument.toLowerCase();
      const match = priorities.find((p) => p.id === command.argument || p.name.toLowerCase() === wanted);
      if (!match) {
        const list = priorities.map((p) => escapeHtml(p.name)).join(', ');
        return { result: 'refused: unknown priority', answer: `<p>Unknown priority${command.argument ? ` "${escapeHtml(command.argument.slice(0, 60))}"` : ''}. Use one of: ${list}.</p>` };
      }
      await jira.setPriority(issue.key, match.id);
      return { result: `priority set to ${match.name}`, answer: `<p>Priority of ${issueLink(jira, issue)} is now <b>${escapeHtml(match.name)}</b>.</p>` };
    }
    case 'assign': {
      const target = await assignee(ctx, jira, command.argument, accountId);
      if ('refusal' in target) return { result: `refused: ${target.refusal}`, answer: `<p>${escapeHtml(target.refusal)}</p>` };
      try {
        await jira.assignIssue(issue.key, target.accountId);
      } catch (e) {
        // Jira answers 400 when that person cannot be assigned issues in the project.
        if (e instanceof PermanentError && e.code === 'jira_rejected') {
          return { result: 'refused: not assignable', answer: `<p>${escapeHtml(target.label)} cannot be assigned ${escapeHtml(issue.key)} in Jira.</p>` };
        }
        throw e;
      }
      return { result: `assigned to ${target.accountId}`, answer: `<p>${issueLink(jira, issue)} is now assigned to ${escapeHtml(target.label)}.</p>` };
    }
    case 'status': {
      const fresh = await jira.getIssue(issue.key, ctx.settings.fieldIds);
      return { result: 'status answered', answer: statusHtml(jira, fresh) };
    }
  }
}

async function mirror(ctx: Ctx, text: string, takeover: boolean): Promise<{ result: string }> {
  if (!text) return { result: 'ignored: no text to mirror' };
  const jira = await ctx.deps.jiraFor(ctx.job.siteId);
  const issue = await jira.getIssue(ctx.job.issueKey, ctx.settings.fieldIds);
  // Mirroring is quiet: someone who may not comment is not answered for every message they write.
  const allowed = await authorise(ctx, jira, issue, 'mirror', { quiet: true });
  if ('result' in allowed) return { result: allowed.result };
  await commentOnce(ctx, jira, issue, text, { internal: true, serviceDesk: issue.projectType === 'service_desk' }, takeover);
  return { result: 'mirrored as an internal note' };
}

/** The comment with its attribution and trace marker; after a takeover, only if the marker is not on the issue yet. */
async function commentOnce(ctx: Ctx, jira: JiraApi, issue: JiraIssue, text: string, options: { internal: boolean; serviceDesk: boolean }, takeover: boolean) {
  const messageId = ctx.message.id;
  if (takeover && (await jira.recentCommentContains(issue.key, teamsMarker(messageId)))) {
    ctx.context.log.info('chatToJira.comment.found', { issueKey: issue.key, messageId, reason: 'an earlier attempt wrote it before stopping' });
    return;
  }
  const body = `${truncate(text)}\n\n${attribution(ctx.author.displayName, messageId)}`;
  await jira.addAdfComment(issue.key, body, options);
}

/** Maps the author to Jira and checks the permissions the action needs; a refusal is answered (rate-limited). */
async function authorise(ctx: Ctx, jira: JiraApi, issue: JiraIssue, action: CommandName | 'mirror', options: { quiet?: boolean } = {}): Promise<{ accountId: string } | { result: string; answer?: string }> {
  const accountId = await accountIdFor(ctx.deps, ctx.row.tenantId, ctx.author.id);
  if (!accountId) {
    return refusal(ctx, 'author not mapped to a Jira account', `${ctx.author.displayName}, your Teams account is not linked to a Jira account, so the bridge cannot act for you. Ask a Jira admin to map you (or use the self-link invitation on the issue).`, options.quiet);
  }
  const permissions = needed[action];
  let ok: boolean;
  try {
    ok = await jira.userHasPermissions(accountId, issue.key, permissions);
  } catch (e) {
    if (!(e instanceof PermanentError && e.code === 'jira_forbidden')) throw e;
    // Without the right to ask, nothing is done: the action is refused, never assumed allowed.
    ctx.context.log.warn('chatToJira.permissionCheck.forbidden', { issueKey: issue.key, message: 'the bridge\'s Jira account needs Administer Projects on this project to check who may act (see README, chat → Jira)' });
    return refusal(ctx, 'permission check refused by Jira', `The bridge cannot check Jira permissions on ${issue.key}: its Jira account needs Administer Projects on that project. Ask a Jira admin.`, options.quiet);
  }
  if (!ok) {
    return refusal(ctx, `missing Jira permission ${permissions.join('+')}`, `${ctx.author.displayName}, your Jira account may not do that on ${issue.key} (needs ${permissions.join(' and ')}).`, options.quiet);
  }
  return { accountId };
}

async function refusal(ctx: Ctx, result: string, text: string, quiet = false): Promise<{ result: string; answer?: string }> {
  ctx.context.log.info('chatToJira.refused', { messageId: ctx.message.id, authorId: ctx.author.id, reason: result });
  if (quiet || !(await mayAnswerRefusal(ctx.deps, ctx.row.chatId, ctx.author.id, refusalWindowSeconds))) return { result: `refused: ${result}` };
  return { result: `refused: ${result}`, answer: `<p>${escapeHtml(text)}</p>` };
}

/** `/assign me`, `/assign @Name` (the first mention), `/assign someone@example.com`. */
async function assignee(ctx: Ctx, jira: JiraApi, argument: string, self: string): Promise<{ accountId: string; label: string } | { refusal: string }> {
  if (/^me$/i.test(argument)) return { accountId: self, label: ctx.author.displayName };
  const mentioned = ctx.message.mentions?.find((m) => m.mentioned?.user?.id);
  if (mentioned?.mentioned?.user?.id) {
    const accountId = await accountIdFor(ctx.deps, ctx.row.tenantId, mentioned.mentioned.user.id);
    const label = mentioned.mentioned.user.displayName ?? mentioned.mentionText ?? 'that person';
    return accountId ? { accountId, label } : { refusal: `${label} is not linked to a Jira account.` };
  }
  const email = argument.trim();
  if (/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(email)) {
    const users = await jira.findUsersByEmail(email);
    if (users.length === 1) return { accountId: users[0]!.accountId, label: users[0]!.displayName ?? email };
    return { refusal: `No single Jira user has the e-mail ${email}.` };
  }
  return { refusal: 'Use /assign me, /assign @name or /assign name@example.com.' };
}

function issueLink(jira: JiraApi, issue: JiraIssue): string {
  return `<b>${htmlLink(issueUrl(jira.baseUrl, issue.key), issue.key)}</b>`;
}

/** The short `/status` answer; every Jira string escaped. */
export function statusHtml(jira: JiraApi, issue: JiraIssue): string {
  return (
    `<p>${issueLink(jira, issue)}: ${escapeHtml(issue.summary)}<br>` +
    `<b>Status:</b> ${escapeHtml(issue.status ?? '—')} · <b>Priority:</b> ${escapeHtml(issue.priority ?? '—')} · ` +
    `<b>Assignee:</b> ${escapeHtml(issue.assignee?.displayName ?? 'Unassigned')}</p>`
  );
}

/** Posts the answer as the chats service user; the effect is done already, so a failed answer is only logged. */
async function answer(ctx: Ctx, html: string): Promise<void> {
  let graph: Graph | undefined;
  try {
    graph = await ctx.deps.graphFor(ctx.row.tenantId, 'chats');
    await postChatMessage(graph, ctx.row.chatId, html);
  } catch (e) {
    ctx.context.log.warn('chatToJira.answer.failed', { chatId: ctx.row.chatId, messageId: ctx.message.id, error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (graph) ctx.context.graphRequestIds.push(...graph.requestIds);
  }
}

async function done(deps: WorkflowDeps, row: ChatSubscriptionRow, messageId: string, job: JobMessage, outcome: 'ignored', detail: string): Promise<JobResult> {
  await finishMessage(deps, row.chatId, messageId, job.jobId, `ignored: ${detail}`);
  await markSeen(deps, row, messageId);
  return { outcome, detail: `message ${messageId}: ${detail}` };
}

/** Advances the chat's back-fill start to the highest message id handled. */
async function markSeen(deps: WorkflowDeps, row: ChatSubscriptionRow, messageId: string): Promise<void> {
  await patchChatSubscription(deps, row, (current) =>
    Number(current.lastSeenMessageId ?? 0) >= Number(messageId) ? undefined : { lastSeenMessageId: messageId },
  );
}
