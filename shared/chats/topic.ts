// Chat topics from a per-project template. Graph allows at most 250 characters and no ':' in a group chat topic
// (graph-contract §1, chat-patch docs and microsoft-graph-docs#18539); a long or odd summary must never fail the
// job, so the result is sanitised and truncated rather than validated.
//
// "Characters" are counted the way Graph's .NET service counts a string's Length: UTF-16 code units, so an emoji
// outside the Basic Multilingual Plane costs two. A topic cut to 250 code points can be 251+ units and is refused
// with 400. The cut is made between grapheme clusters, so it never leaves half a surrogate pair (which is not valid
// UTF-16 and would not survive JSON encoding intact) or a base character without its combining marks.
import type { JiraIssue } from '../jira/issue.js';
import { renderTemplate } from '../text/template.js';
import { truncate } from '../text/truncate.js';

export const maxTopicLength = 250;

export function renderTopic(template: string, issue: Pick<JiraIssue, 'key' | 'summary' | 'issueType' | 'priority'>): string {
  const values: Record<string, string> = {
    key: issue.key,
    summary: issue.summary,
    issueType: issue.issueType,
    priority: issue.priority ?? '',
  };
  const filled = renderTemplate(template, values);
  return sanitiseTopic(filled) || sanitiseTopic(issue.key);
}

export function sanitiseTopic(text: string, max = maxTopicLength): string {
  const clean = text
    .replace(/:/g, ' -')
    // Control and format characters (including bidi overrides) have no place in a chat title.
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return truncate(clean, max);
}
