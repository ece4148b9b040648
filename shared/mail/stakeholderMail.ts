import { createHash } from 'node:crypto';
// The stakeholder update as a mail: HTML in which every Jira-provided string (message, summary, status, names) is
// escaped, with a link to the issue built from the site's Jira base URL (never a payload URL).
import { escapeHtml, escapeMultiline, link } from '../chats/html.js';
import { issueUrl } from '../jira/client.js';
import type { JiraIssue } from '../jira/issue.js';
import { renderIssueTemplate, singleLine } from '../meetings/template.js';
import type { OutgoingMail } from './send.js';

export const defaultStakeholderSubject = '[{key}] Update: {summary}';

export interface StakeholderMailInput {
  issue: JiraIssue;
  jiraBaseUrl: string;
  message: string;
  subjectTemplate?: string;
  recipients: string[];
  jobId: string;
}

export function stakeholderMail(input: StakeholderMailInput): OutgoingMail {
  const { issue } = input;
  const facts: [string, string | undefined][] = [
    ['Status', issue.status],
    ['Priority', issue.priority],
    ['Assignee', issue.assignee?.displayName ?? 'Unassigned'],
  ];
  const html = [
    '<html><body>',
    `<p>${escapeMultiline(input.message)}</p>`,
    '<hr>',
    `<p><b>${link(issueUrl(input.jiraBaseUrl, issue.key), issue.key)}</b>: ${escapeHtml(issue.summary)}<br>`,
    facts.filter(([, v]) => v).map(([k, v]) => `${k}: ${escapeHtml(v!)}`).join('<br>'),
    '</p>',
    `<p style="color:#666;font-size:small">Sent by the Jira ⇄ Microsoft 365 bridge for ${escapeHtml(issue.key)}.</p>`,
    '</body></html>',
  ].join('');
  return {
    subject: singleLine(renderIssueTemplate(input.subjectTemplate ?? defaultStakeholderSubject, issue), 255),
    html,
    to: input.recipients,
    headers: { 'x-jira-issue': issue.key, 'x-jira-m365-job': input.jobId },
    internetMessageId: bridgeMessageId(issue.key, input.jobId, input.jiraBaseUrl),
  };
}

/** The same update for the Teams chat (HTML, escaped). */
export function stakeholderChatHtml(input: Pick<StakeholderMailInput, 'issue' | 'jiraBaseUrl' | 'message'>): string {
  return `<p>📣 <b>Stakeholder update</b> for ${link(issueUrl(input.jiraBaseUrl, input.issue.key), input.issue.key)}</p><p>${escapeMultiline(input.message)}</p>`;
}

/**
 * A Message-ID mail → Jira recognises in a reply's `In-Reply-To`/`References` (RFC 5322 §3.6.4): `<jira-m365.KEY.
 * unique@site-host>`. The unique part comes from the job id (one per send); the right side is the Jira site's host.
 */
export function bridgeMessageId(issueKey: string, jobId: string, jiraBaseUrl: string): string {
  const unique = createHash('sha256').update(jobId).digest('hex').slice(0, 24);
  let host = 'jira-m365.invalid';
  try {
    host = new URL(jiraBaseUrl).hostname || host;
  } catch {
    // keep the placeholder host: the id stays well-formed
  }
  return `<jira-m365.${issueKey}.${unique}@${host}>`;
}
