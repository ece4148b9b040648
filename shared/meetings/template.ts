// Templates over issue fields for meeting subjects and stakeholder messages (rule params or Automation custom data):
// `{key}`, `{summary}`, `{issueType}`, `{priority}`, `{status}`, `{resolution}`, `{assignee}`, `{reporter}`.
// Unknown placeholders are left as written, so text that happens to contain braces survives. The result is plain
// text: callers escape it for HTML.
import type { JiraIssue } from '../jira/issue.js';
import { renderTemplate } from '../text/template.js';
import { truncate } from '../text/truncate.js';

type Field = 'key' | 'summary' | 'issueType' | 'priority' | 'status' | 'resolution' | 'assignee' | 'reporter';

export function renderIssueTemplate(template: string, issue: JiraIssue): string {
  const values: Record<Field, string> = {
    key: issue.key,
    summary: issue.summary,
    issueType: issue.issueType,
    priority: issue.priority ?? '',
    status: issue.status ?? '',
    resolution: issue.resolution ?? '',
    assignee: issue.assignee?.displayName ?? 'Unassigned',
    reporter: issue.reporter?.displayName ?? '',
  };
  return renderTemplate(template, values);
}

/** One line, no control characters, at most `max` UTF-16 code units (as Graph counts): for subjects (a mail subject is a header). */
export function singleLine(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return truncate(clean, max);
}
