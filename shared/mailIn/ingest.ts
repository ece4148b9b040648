// Mail → Jira: one catch-up of one mail source. The folder's delta query (graph-contract §9) lists what arrived
// since the last complete catch-up; each message is handled exactly once, keyed on its internetMessageId (the
// immutable id when a message has none) with a conditional insert in `mailInMessages` (../jobs/once.ts), then
// marked read or moved as the source says. The delta link is saved only after a complete pass, so a crash re-reads
// the same messages and the claims turn them away: nothing is lost, nothing is handled twice.
//
// Mail content (subject, body, attachments) is never logged or audited; the audit names the message by a hash of
// its internetMessageId, the sender's address and what was done.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PermanentError, ServiceUserUnavailableError, ThrottledError, ensureError } from '../errors.js';
import { GraphRequestError, type Graph } from '../graph/client.js';
import { getFileAttachment, getMessage, listAttachments, markMessageRead, messagesDelta, moveMessage, type MessagesDeltaPage, type MessagesDeltaStart } from '../graph/mail.js';
import { parkJob } from '../identity/tokens.js';
import type { JiraApi } from '../jira/client.js';
import type { JiraIssue, JiraUser } from '../jira/issue.js';
import { writeAudit } from '../jobs/audit.js';
import { once } from '../jobs/once.js';
import { accountIdForAddress } from '../people/mapping.js';
import { queueNames } from '../storage/queues.js';
import { insertEntity, readEntity, replaceIfMatch, tableNames } from '../storage/tables.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import { explainReadFailure } from './explain.js';
import { bodyText, issueKeyInReferences, issueKeyInSubject, skipReason, type Header } from './content.js';
import { addCcParticipants, type Recipient } from './participants.js';
import { mailInRetention, receivedTooLongAgo } from './retention.js';
import { ensureMailSubscription, reauthorizeMailSubscription, removeMailSubscription } from './subscription.js';
import { getMailSource, listMailSources, recordPoll, type MailSource } from './sources.js';

export const mailInMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal('mail-in'),
  siteId: z.string().min(1),
  projectKey: z.string().min(1),
  // `notification`: a folder change notification; the lifecycle events come from the folder's subscription
  // (./subscription.ts) and also repair it; `missed` reads what Graph could not deliver.
  reason: z.enum(['timer', 'manual', 'missed', 'notification', 'subscriptionRemoved', 'reauthorizationRequired']),
  requestedAt: z.string(),
});
export type MailInMessage = z.infer<typeof mailInMessageSchema>;

export function pollMessage(source: Pick<MailSource, 'siteId' | 'projectKey'>, reason: MailInMessage['reason'], now: Date): MailInMessage {
  return { v: 1, kind: 'mail-in', siteId: source.siteId, projectKey: source.projectKey, reason, requestedAt: now.toISOString() };
}

// What the catch-up reads of a message: little while listing, everything it turns into Jira once it handles one.
const listSelect = 'internetMessageId,subject,from,receivedDateTime,hasAttachments';
const fullSelect = 'internetMessageId,subject,from,ccRecipients,receivedDateTime,hasAttachments,body,internetMessageHeaders';

interface ListedMessage {
  id: string;
  internetMessageId?: string;
  receivedDateTime?: string;
  '@removed'?: unknown;
}

interface FullMessage {
  id: string;
  internetMessageId?: string;
  subject?: string | null;
  from?: { emailAddress?: { name?: string; address?: string } } | null;
  ccRecipients?: Recipient[];
  receivedDateTime?: string;
  hasAttachments?: boolean;
  body?: { contentType?: string; content?: string };
  internetMessageHeaders?: Header[];
}

export type MailOutcome =
  | { result: 'issue'; issueKey: string; uploaded: number; listed: number; as?: 'request' | 'issue'; note?: string }
  | { result: 'comment'; issueKey: string; visibility: 'public' | 'internal'; uploaded: number; listed: number }
  | { result: 'skipped'; reason: string };

export interface PollSummary {
  seen: number;
  issues: number;
  comments: number;
  skipped: number;
  duplicates: number;
  unknown: number;
}

/** Runs one queue message of `mail-in-jobs`: parks it while the signed-in account needs re-authentication. */
export async function runMailInJob(deps: WorkflowDeps, raw: unknown, trigger: { queue: string; dequeueCount: number }): Promise<PollSummary | undefined> {
  const parsed = mailInMessageSchema.safeParse(raw);
  if (!parsed.success) {
    deps.log.error('mail-in.invalid-message', { queue: trigger.queue, reason: parsed.error.issues[0]?.message });
    return undefined;
  }
  const source = await getMailSource(deps, parsed.data.siteId, parsed.data.projectKey);
  if (!source || !source.enabled) {
    // A source removed or turned off: its folder subscription (if the manage API could not remove it) goes too.
    await removeMailSubscription(deps, parsed.data.siteId, parsed.data.projectKey, source ? 'source disabled' : 'source deleted');
    return undefined;
  }
  const owner = `mail-in:${source.siteId}:${source.projectKey}:${deps.clock.now().toISOString()}`;
  try {
    // The subscription first, so mail arriving during this catch-up is notified; a plain notification skips it
    // (the timer renews every 15 minutes, and a notification's path stays one table read shorter).
    const reason = parsed.data.reason;
    if (reason !== 'notification' && reason !== 'missed') {
      try {
        const detail =
          reason === 'reauthorizationRequired'
            ? await reauthorizeMailSubscription(deps, source)
            : await ensureMailSubscription(deps, source, reason === 'subscriptionRemoved' ? { recreate: 'subscriptionRemoved' } : {});
        deps.log.info('mail-in.subscription', { siteId: source.siteId, projectKey: source.projectKey, reason, detail });
      } catch (e) {
        // Graph trouble with the subscription (a refused renewal, a 5xx) never holds up reading the mail: the next
        // timer run tries the subscription again.
        if (!(e instanceof GraphRequestError)) throw e;
        deps.log.warn('mail-in.subscription.failed', { siteId: source.siteId, projectKey: source.projectKey, reason, status: e.status, code: e.code });
      }
    }
    return await pollSource(deps, source, owner);
  } catch (e) {
    if (e instanceof ServiceUserUnavailableError) {
      // The same parking the jobs use (DESIGN §6): the message comes back when the account signs in again.
      await parkJob(deps, { tenantId: source.tenantId, feature: 'mail-in', queue: trigger.queue, message: parsed.data, reason: e.message });
      await recordPoll(deps.tables, source, { lastPolledAt: deps.clock.now().toISOString(), lastError: `${e.status}: ${e.message}` });
      return undefined;
    }
    if (e instanceof ThrottledError) {
      await deps.queues.send(trigger.queue, parsed.data, { delaySeconds: e.retryAfterSeconds });
      return undefined;
    }
    if (e instanceof PermanentError) {
      deps.log.warn('mail-in.failed', { siteId: source.siteId, projectKey: source.projectKey, code: e.code, reason: e.message });
      await recordPoll(deps.tables, source, { lastPolledAt: deps.clock.now().toISOString(), lastError: `${e.code}: ${e.message}` });
      return undefined;
    }
    throw ensureError(e);
  }
}

/** One catch-up: every page of the delta, each message handled once, then the new delta link saved. */
export async function pollSource(deps: WorkflowDeps, source: MailSource & { etag: string }, owner: string): Promise<PollSummary> {
  const graph = await deps.graphFor(source.tenantId, 'mail-in');
  const jira = await deps.jiraFor(source.siteId);
  const summary: PollSummary = { seen: 0, issues: 0, comments: 0, skipped: 0, duplicates: 0, unknown: 0 };
  // The first pass reads only what arrived since the source was added (message-delta.md allows
  // `$filter=receivedDateTime ge …` on the initial request): adding a source never turns a mailbox's history into issues.
  const initial = (): MessagesDeltaStart => ({ mailbox: source.mailbox, folder: source.folder, select: listSelect, receivedSince: source.createdAt });
  let next: MessagesDeltaStart | string | undefined = source.deltaLink ?? initial();
  let deltaLink: string | undefined;
  let restarted = false;
  while (next) {
    let page: MessagesDeltaPage;
    try {
      page = await messagesDelta(graph, next);
    } catch (e) {
      // The delta token expired or the folder's sync state was reset: start over (the claims stop duplicates).
      if (e instanceof GraphRequestError && (e.code === 'syncStateNotFound' || e.code === 'resyncRequired' || e.status === 410) && !restarted) {
        restarted = true;
        next = initial();
        continue;
      }
      if (e instanceof GraphRequestError && e.permanent) {
        const upn = graph.kind === 'delegated' ? 'the signed-in account' : 'the app';
        throw new PermanentError(explainReadFailure(e, source, upn), 'mail_in_read_failed');
      }
      throw e;
    }
    for (const listed of page.value as ListedMessage[]) {
      if (listed['@removed'] !== undefined || !listed.id) continue;
      summary.seen++;
      if (receivedTooLongAgo(listed.receivedDateTime, deps.clock.now())) {
        // Its claim may have been deleted by the retention (./retention.ts): turned away, never handled twice.
        summary.skipped++;
        const key = messageKey(listed);
        await audit(deps, source, owner, key, 'ignored', `mail ${key.slice(0, 12)} skipped: received more than ${mailInRetention.acceptDays} days ago (listed again after a delta restart or a change)`);
        continue;
      }
      const outcome = await handleOnce(deps, graph, jira, source, listed, owner);
      if (outcome === 'duplicate') summary.duplicates++;
      else if (outcome === 'unknown') summary.unknown++;
      else if (outcome.result === 'issue') summary.issues++;
      else if (outcome.result === 'comment') summary.comments++;
      else summary.skipped++;
    }
    next = page.nextLink || undefined;
    deltaLink = page.deltaLink ?? deltaLink;
  }
  await recordPoll(deps.tables, source, { deltaLink, lastPolledAt: deps.clock.now().toISOString() });
  deps.log.info('mail-in.polled', { siteId: source.siteId, projectKey: source.projectKey, ...summary, graphRequestIds: graph.requestIds.slice(-5) });
  return summary;
}

const messageKey = (m: { id: string; internetMessageId?: string }) =>
  createHash('sha256').update(m.internetMessageId?.trim() || `id:${m.id}`).digest('hex');

async function handleOnce(
  deps: WorkflowDeps,
  graph: Graph,
  jira: JiraApi,
  source: MailSource,
  listed: ListedMessage,
  owner: string,
): Promise<MailOutcome | 'duplicate' | 'unknown'> {
  const table = await deps.tables.table(tableNames.mailInMessages);
  const key = messageKey(listed);
  const done = await once(table, `${source.siteId}:${source.projectKey}`, key, { clock: deps.clock, owner, what: `mail message ${key.slice(0, 12)}` }, () =>
    handleMessage(deps, graph, jira, source, listed.id),
  );
  if (done.status === 'unknown') {
    await audit(deps, source, owner, key, 'failed', done.note);
    return 'unknown';
  }
  const outcome = done.value as MailOutcome | undefined;
  if (done.status === 'ran' && outcome) {
    const detail =
      outcome.result === 'skipped'
        ? `mail ${key.slice(0, 12)} skipped: ${outcome.reason}`
        : `mail ${key.slice(0, 12)} → ${outcome.result === 'issue' ? (outcome.as === 'request' ? 'new request' : 'new issue') : `${outcome.visibility} comment`} ${outcome.issueKey}; ${outcome.uploaded} attachment(s) uploaded, ${outcome.listed} listed${outcome.result === 'issue' && outcome.note ? `; ${outcome.note}` : ''}`;
    await audit(deps, source, owner, key, outcome.result === 'skipped' ? 'ignored' : 'done', detail, outcome.result === 'skipped' ? undefined : outcome.issueKey);
  }
  await afterProcessing(deps, graph, source, listed.id);
  return done.status === 'ran' && outcome ? outcome : 'duplicate';
}

async function audit(deps: WorkflowDeps, source: MailSource, owner: string, key: string, outcome: 'done' | 'ignored' | 'failed', detail: string | undefined, issueKey?: string) {
  await writeAudit(deps, { siteId: source.siteId, issueKey: issueKey ?? `${source.projectKey}-mail`, jobId: `${owner}:${key.slice(0, 12)}`, action: 'mail-in', outcome, detail }).catch(
    (e: unknown) => deps.log.warn('audit.write-failed', { error: ensureError(e) }),
  );
}

/** Marks or moves a handled message so a human sees what was handled; a refusal is noted, never fatal. */
async function afterProcessing(deps: WorkflowDeps, graph: Graph, source: MailSource, id: string) {
  if (source.afterProcessing === 'none') return;
  try {
    if (source.afterProcessing === 'mark-read') await markMessageRead(graph, source.mailbox, id);
    else await moveMessage(graph, source.mailbox, id, source.moveToFolder!);
  } catch (e) {
    if (!(e instanceof GraphRequestError)) throw e;
    deps.log.warn('mail-in.after-processing-failed', { siteId: source.siteId, projectKey: source.projectKey, status: e.status, code: e.code });
  }
}

async function handleMessage(deps: WorkflowDeps, graph: Graph, jira: JiraApi, source: MailSource, id: string): Promise<MailOutcome> {
  const message = (await getMessage(graph, source.mailbox, id, fullSelect)) as FullMessage;
  const sender = message.from?.emailAddress?.address?.trim();
  const subject = (message.subject ?? '').trim();
  const own = source.mailbox === 'me' ? [] : [source.mailbox];
  const skip = skipReason(message.internetMessageHeaders ?? [], sender, subject, { blockedDomains: source.blockedDomains, ownAddresses: own });
  if (skip) return { result: 'skipped', reason: skip };
  if (!(await takeRateSlot(deps, source, sender!))) return { result: 'skipped', reason: `rate-limited (more than ${source.maxPerSenderPerHour} per hour from this sender)` };

  const attachments = message.hasAttachments ? await readAttachments(graph, source, id) : { files: [], listed: [] };
  const senderName = message.from?.emailAddress?.name?.trim();
  const from = senderName && senderName !== sender ? `${senderName} <${sender}>` : sender!;
  const text = bodyText(message.body);
  const listedLines = attachments.listed.length ? `\n\nAttachments not uploaded:\n${attachments.listed.map((l) => `- ${l}`).join('\n')}` : '';

  // The key in the subject, else a reply to the bridge's own mail (its Message-ID in In-Reply-To/References).
  const named = issueKeyInSubject(subject, source.projectKey) ?? issueKeyInReferences(message.internetMessageHeaders ?? [], source.projectKey);
  const issue = named ? await existingIssue(jira, named) : undefined;
  if (issue) {
    const isServiceDesk = issue.projectType === 'service_desk';
    const account = isServiceDesk ? await senderAccount(deps, jira, source, sender!) : undefined;
    const customerSide = !!account && (issue.reporter?.accountId === account.accountId || (await isRequestParticipant(jira, issue, account.accountId)));
    const comment = `Mail from ${from}:\n\n${text || '(no text)'}${listedLines}`;
    if (isServiceDesk && customerSide) await jira.addPublicReply(issue.key, comment);
    else await jira.addInternalComment(issue.key, comment, isServiceDesk);
    await jira.addAttachments(issue.key, attachments.files);
    return { result: 'comment', issueKey: issue.key, visibility: isServiceDesk && customerSide ? 'public' : 'internal', uploaded: attachments.files.length, listed: attachments.listed.length };
  }
  const summary = (subject.replace(/[\r\n\t]+/g, ' ') || '(no subject)').slice(0, 255);
  const description = `Mail from ${from}, received ${message.receivedDateTime ?? ''}.\n\n${text || '(no text)'}${listedLines}`;
  if (source.createAs === 'request') {
    const raised = await raiseRequest(deps, jira, source, sender!, senderName, summary, description);
    if (raised.key) {
      await jira.addAttachments(raised.key, attachments.files);
      const participants = await addCcParticipants(deps, jira, source, raised.key, message.ccRecipients, sender!, (address) => senderAccount(deps, jira, source, address));
      const note = [raised.note, participants].filter(Boolean).join('; ') || undefined;
      return { result: 'issue', as: 'request', issueKey: raised.key, uploaded: attachments.files.length, listed: attachments.listed.length, note };
    }
    const created = await jira.createIssue({ projectKey: source.projectKey, issueType: source.issueType, summary, description });
    await jira.addAttachments(created.key, attachments.files);
    return { result: 'issue', as: 'issue', issueKey: created.key, uploaded: attachments.files.length, listed: attachments.listed.length, note: raised.note };
  }
  const created = await jira.createIssue({ projectKey: source.projectKey, issueType: source.issueType, summary, description });
  await jira.addAttachments(created.key, attachments.files);
  return { result: 'issue', issueKey: created.key, uploaded: attachments.files.length, listed: attachments.listed.length };
}

/**
 * A JSM request raised on behalf of the sender as a customer: their existing account (exact e-mail match), or a new
 * customer account when the source allows it. Without one, `key` is undefined and `note` says why, and the caller
 * creates a plain issue with the sender named in the description. The sender's address is not in the note (the
 * audit names the message by hash only).
 */
async function raiseRequest(
  deps: WorkflowDeps,
  jira: JiraApi,
  source: MailSource,
  sender: string,
  senderName: string | undefined,
  summary: string,
  description: string,
): Promise<{ key?: string; note?: string }> {
  let account = await senderAccount(deps, jira, source, sender);
  let note: string | undefined;
  if (!account) {
    if (!source.allowNewCustomers) return { note: 'raised as a plain issue: the sender has no Jira account and this source does not allow new customers' };
    // A crash after this call finds the account by e-mail next time: no second customer.
    account = await jira.createCustomer(sender, senderName || sender);
    note = 'the sender was added as a new customer';
  }
  const created = await jira.createRequest({ serviceDeskId: source.serviceDeskId!, requestTypeId: source.requestTypeId!, summary, description, raiseOnBehalfOf: account.accountId });
  return { key: created.key, note };
}

/**
 * Whether the account is a participant of the request. The issue's Request participants field is read with the
 * default field id (a mail source has no project settings to name the site's), which is a different custom field on
 * many sites; JSM's own participant list needs no field id.
 */
async function isRequestParticipant(jira: JiraApi, issue: JiraIssue, accountId: string): Promise<boolean> {
  if (issue.requestParticipants.some((p) => p.accountId === accountId)) return true;
  try {
    return (await jira.getRequestParticipants(issue.key)).some((p) => p.accountId === accountId);
  } catch (e) {
    if (e instanceof PermanentError) return false; // not a customer request (an agent-made issue in a service project)
    throw e;
  }
}

async function existingIssue(jira: JiraApi, key: string): Promise<JiraIssue | undefined> {
  try {
    return await jira.getIssue(key);
  } catch (e) {
    if (e instanceof PermanentError) return undefined; // named but gone or hidden: the mail becomes a new issue
    throw e;
  }
}

/**
 * The sender's Jira account: first the bridge's own user mappings of the source's tenant (an address the mapping
 * knows as the Entra user's mail or UPN: Jira Cloud often hides e-mail addresses, so its search cannot find them),
 * then Jira's user search by address, accepted only on an exact (visible) e-mail match.
 */
async function senderAccount(deps: WorkflowDeps, jira: JiraApi, source: MailSource, address: string): Promise<JiraUser | undefined> {
  const mapped = await accountIdForAddress(deps, source.tenantId, address);
  if (mapped) return { accountId: mapped };
  const found = await jira.findUsers(address);
  return found.find((u) => u.emailAddress?.toLowerCase() === address.toLowerCase());
}

async function readAttachments(graph: Graph, source: MailSource, id: string) {
  const list = await listAttachments(graph, source.mailbox, id);
  const files: Array<{ filename: string; content: Buffer }> = [];
  const listed: string[] = [];
  for (const a of list) {
    if (a.isInline) continue; // signature logos and pasted images are part of the body, not attachments
    const name = (a.name ?? 'attachment').replace(/[\\/\r\n]+/g, '_').slice(0, 200);
    const size = a.size ?? 0;
    if (a['@odata.type'] && a['@odata.type'] !== '#microsoft.graph.fileAttachment') {
      listed.push(`${name} (an attached item or link, not a file)`);
    } else if (size > source.maxAttachmentBytes) {
      listed.push(`${name} (${size} bytes, over the ${source.maxAttachmentBytes}-byte limit of this mail source)`);
    } else {
      const full = await getFileAttachment(graph, source.mailbox, id, a.id!);
      files.push({ filename: name, content: Buffer.from(full.contentBytes ?? '', 'base64') });
    }
  }
  return { files, listed };
}

/** Per-sender hourly window in `mailInMessages` (PK `rate:{site}:{project}`); a lost race lets one extra through. */
async function takeRateSlot(deps: WorkflowDeps, source: MailSource, sender: string): Promise<boolean> {
  const table = await deps.tables.table(tableNames.mailInMessages);
  const pk = `rate:${source.siteId}:${source.projectKey}`;
  const rk = `${createHash('sha256').update(sender.toLowerCase()).digest('hex').slice(0, 32)}:${deps.clock.now().toISOString().slice(0, 13)}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await readEntity<{ count: number }>(table, pk, rk);
    if (!row) {
      if ((await insertEntity(table, pk, rk, { count: 1 })).created) return true;
      continue;
    }
    if (row.count >= source.maxPerSenderPerHour) return false;
    if ((await replaceIfMatch(table, pk, rk, { count: row.count + 1 }, row.etag)).ok) return true;
  }
  return true;
}



/** The slow timer's safety net: one catch-up message per enabled source (the queue spreads the work). */
export async function enqueueCatchUps(deps: Pick<WorkflowDeps, 'tables' | 'queues' | 'clock' | 'log'>): Promise<number> {
  const sources = (await listMailSources(deps.tables)).filter((s) => s.enabled);
  for (const s of sources) await deps.queues.send(queueNames.mailIn, pollMessage(s, 'timer', deps.clock.now()));
  if (sources.length) deps.log.info('mail-in.catch-ups-queued', { sources: sources.length });
  return sources.length;
}
