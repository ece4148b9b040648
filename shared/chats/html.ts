// Teams chat messages are HTML (body.contentType "html"). Every Jira-provided string is escaped here before it is
// put into markup, including inside attributes; nothing else in the app builds chat HTML by concatenation.
import type { JiraIssue } from '../jira/issue.js';
import { issueUrl } from '../jira/client.js';
import { escapeHtml, escapeMultiline } from '../text/html.js';
import { truncate } from '../text/truncate.js';

// The escaper lives in shared/text/html.ts; re-exported because chat code has always found it here.
export { escapeHtml, escapeMultiline };

/** A link whose href is only ever an http(s) URL we built (never a payload URL). */
export function link(href: string, text: string): string {
  const url = new URL(href);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('refusing a non-http link');
  return `<a href="${escapeHtml(url.toString())}">${escapeHtml(text)}</a>`;
}

// Teams allows about 28 KB per message (graph-contract §4); the description is an excerpt, the issue has the rest.
const descriptionExcerptChars = 1500;

/** At most `max` UTF-16 code units (the mark included), cut between grapheme clusters (shared/text/truncate.ts). */
export function excerpt(text: string, max = descriptionExcerptChars): string {
  return truncate(text.trim(), max);
}

export function issueDetailsHtml(issue: JiraIssue, jiraBaseUrl: string): string {
  const person = (u?: { displayName?: string; accountId: string }) => escapeHtml(u?.displayName ?? (u ? 'someone' : 'Unassigned'));
  const rows: [string, string][] = [
    ['Priority', escapeHtml(issue.priority ?? '—')],
    ['Status', escapeHtml(issue.status ?? '—')],
    ['Assignee', person(issue.assignee)],
    ['Reporter', person(issue.reporter)],
  ];
  if (issue.requestType) rows.push(['Request type', escapeHtml(issue.requestType)]);
  const description = issue.description ? `<p>${escapeMultiline(excerpt(issue.description))}</p>` : '';
  return [
    `<p><b>${link(issueUrl(jiraBaseUrl, issue.key), issue.key)}</b>: ${escapeHtml(issue.summary)}</p>`,
    `<p>${rows.map(([k, v]) => `<b>${k}:</b> ${v}`).join('<br>')}</p>`,
    description,
  ].join('');
}
