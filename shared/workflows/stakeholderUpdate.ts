// `stakeholder-update` jobs: one message (Automation custom data, or a rule's template over the issue's fields)
// (a) posted to the issue's chat, (b) mailed through Graph sendMail from the mail service user, or a shared mailbox
// it may send as, to the project's stakeholders plus the request's recipients, and (c) recorded on the issue as an
// internal comment saying who was told what.
//
// Each of the three is done at most once per job (rows in `mailSends`, keyed by job id, reserved before the effect:
// ../jobs/once.ts). sendMail gives no message id to check against, so when a send's outcome is unknown (crash or
// lost connection after the request left) the mail is NOT sent again, and the comment says so.
import { PermanentError } from '../errors.js';
import { findChatLink } from '../chats/chatLinks.js';
import { customDataSchemas } from '../jira/automation.js';
import { postChatMessage } from '../graph/messages.js';
import type { JobMessage } from '../jobs/messages.js';
import type { JobContext, JobResult } from '../jobs/runJob.js';
import { once, type OnceOutcome } from '../jobs/once.js';
import { resolveSender, sendMail, uniqueAddresses } from '../mail/send.js';
import { stakeholderChatHtml, stakeholderMail } from '../mail/stakeholderMail.js';
import { renderIssueTemplate } from '../meetings/template.js';
import { tableNames } from '../storage/tables.js';
import { requireProject } from './createChat.js';
import type { WorkflowDeps } from '../jobs/deps.js';
import type { GraphSession } from '../graph/session.js';
import { parseParams } from './meeting.js';

/** The Automation custom data (shared/jira/automation.ts); rule params are checked against the same schema. */
export interface StakeholderParams {
  message: string;
  subject?: string;
  recipients?: string[];
}

type MailOutcome =
  | { status: 'sent' | 'sent-before'; from: string; to: string[] }
  | { status: 'unknown'; from: string; to: string[]; note: string }
  | { status: 'failed'; from: string; to: string[]; error: PermanentError }
  | { status: 'none' };

export async function stakeholderUpdateJob(job: JobMessage, context: JobContext, deps: WorkflowDeps): Promise<JobResult> {
  const params = parseParams(customDataSchemas['stakeholder-update'], job.params, 'stakeholder-update') as StakeholderParams;
  const settings = await requireProject(deps, job.siteId, job.issueKey);
  const jira = await deps.jiraFor(job.siteId);
  const issue = await jira.getIssue(job.issueKey, settings.fieldIds);
  const message = renderIssueTemplate(params.message, issue);
  const recipients = uniqueAddresses(settings.stakeholders, params.recipients);
  const table = await deps.tables.table(tableNames.mailSends);
  const onceFor = (effect: string, what: string) => ({ table, rk: `${job.jobId}|${effect}`, options: { clock: deps.clock, owner: job.jobId, what } });

  const sessions: GraphSession[] = [];
  try {
    // (a) the chat
    let chatOutcome: OnceOutcome<string> | undefined;
    const chat = await findChatLink(deps, job.siteId, issue.id);
    if (chat?.chatId) {
      const chatId = chat.chatId;
      const graph = await deps.graphFor(chat.tenantId, 'chats');
      sessions.push(graph);
      const o = onceFor('chat', `posting the stakeholder update to the chat of ${issue.key}`);
      chatOutcome = await once(table, job.siteId, o.rk, o.options, async () =>
        (await postChatMessage(graph, chatId, stakeholderChatHtml({ issue, jiraBaseUrl: jira.baseUrl, message }))).messageId,
      );
    }

    // (b) the mail
    let mail: MailOutcome = { status: 'none' };
    if (recipients.length) {
      const graph = await deps.graphFor(settings.tenantId, 'mail', { allowAppOnly: true });
      sessions.push(graph);
      const sender = await resolveSender(deps, graph, settings.tenantId, settings.stakeholderMailFrom);
      const outgoing = stakeholderMail({ issue, jiraBaseUrl: jira.baseUrl, message, subjectTemplate: params.subject, recipients, jobId: job.jobId });
      const o = onceFor('mail', `the stakeholder mail for ${issue.key}`);
      try {
        const sent = await once(table, job.siteId, o.rk, o.options, async () => {
          await sendMail(graph, sender, outgoing);
          return { from: sender.address, to: recipients };
        });
        mail =
          sent.status === 'ran'
            ? { status: 'sent', ...sent.value }
            : sent.status === 'done-before'
              ? { status: 'sent-before', from: sent.value?.from ?? sender.address, to: sent.value?.to ?? recipients }
              : { status: 'unknown', from: sender.address, to: recipients, note: sent.note };
      } catch (e) {
        if (!(e instanceof PermanentError)) throw e;
        mail = { status: 'failed', from: sender.address, to: recipients, error: e };
      }
    }

    // (c) the record on the issue
    const text = commentText(message, mail, chatOutcome);
    // One comment per mail result: a replay after the admin fixed a failed send records the new result too.
    const o = onceFor(`comment|${mail.status === 'sent-before' ? 'sent' : mail.status}`, `the stakeholder-update comment on ${issue.key}`);
    await once(table, job.siteId, o.rk, o.options, () => jira.addInternalComment(issue.key, text, issue.projectType === 'service_desk'));

    if (mail.status === 'failed') throw mail.error;
    if (!chatOutcome && mail.status === 'none') {
      return { outcome: 'ignored', detail: `${issue.key} has no chat and the project has no stakeholders or recipients; only the comment was added` };
    }
    return { outcome: 'done', detail: `chat: ${describeChat(chatOutcome)}; mail: ${describeMail(mail)}` };
  } finally {
    for (const s of sessions) context.graphRequestIds.push(...s.requestIds);
  }
}

function describeChat(o: OnceOutcome<string> | undefined): string {
  if (!o) return 'no chat for the issue';
  return o.status === 'ran' ? 'posted' : o.status === 'done-before' ? 'already posted' : `outcome unknown, not re-posted (${o.note})`;
}

function describeMail(m: MailOutcome): string {
  switch (m.status) {
    case 'none':
      return 'no stakeholders or recipients';
    case 'sent':
      return `from ${m.from} to ${m.to.join(', ')}, accepted by Microsoft 365`;
    case 'sent-before':
      return `already sent from ${m.from} to ${m.to.join(', ')}`;
    case 'unknown':
      return `to ${m.to.join(', ')}: outcome unknown, not re-sent to avoid a duplicate (${m.note})`;
    case 'failed':
      return `NOT sent to ${m.to.join(', ')}: ${m.error.message}`;
  }
}

/** Plain text for Jira (comments are not HTML; Jira renders the text itself). */
export function commentText(message: string, mail: MailOutcome, chat: OnceOutcome<string> | undefined): string {
  return [
    'Stakeholder update (Microsoft 365 bridge)',
    `Mail: ${describeMail(mail)}`,
    `Teams chat: ${describeChat(chat)}`,
    '',
    'Message:',
    message,
  ].join('\n');
}
