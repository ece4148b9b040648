// Chat topics from a per-project template. Graph allows at most 250 characters and no ':' in a group chat topic
// (graph-contract §1, chat-patch docs and microsoft-graph-docs#18539); a long or odd summary must never fail the
// job, so the result is sanitised and truncated rather than validated.
import type { JiraIssue } from '../jira/issue.js';

export const maxTopicLength = 250;

export function renderTopic(template: string, issue: Pick<JiraIssue, 'key' | 'summary' | 'issueType' | 'priority'>): string {
  const values: Record<string, string> = {
    key: issue.key,
    summary: issue.summary,
    issueType: issue.issueType,
    priority: issue.priority ?? '',
  };
  const filled = template.replace(/\{(key|summary|issueType|priority)\}/g, (_, name: string) => values[name] ?? '');
  return sanitiseTopic(filled) || sanitiseTopic(issue.key);
}

export function sanitiseTopic(text: string, max = maxTopicLength): string {
  const clean = text
    .replace(/:/g, ' -')
    // Control and format characters (including bidi overrides) have no place in a chat title.
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...clean];
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}
