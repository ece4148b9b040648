// Webhook bodies for tests: a real captured Jira Cloud envelope (../shared/fixtures/jira/) carrying a given issue,
// so the app sees Jira's real shape around the issue the test controls.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jiraFixturesDir } from './repoRoot.js';

let eventCount = 0;

/**
 * Jira stamps every delivery with its event's time in milliseconds (`timestamp`), so two events never share a body;
 * the app deduplicates identical signed bodies (a captured delivery replayed). Each body built here gets its own.
 */
export function stampEvent<T extends { timestamp?: number }>(body: T): T {
  body.timestamp = (body.timestamp ?? 1735441883659) + ++eventCount;
  return body;
}

export function webhookFor(issue: { id: string; key: string; fields: Record<string, unknown> }, fixture = 'issue_created.kanban.json') {
  const body = JSON.parse(readFileSync(path.join(jiraFixturesDir(), fixture), 'utf8'));
  body.issue = { ...body.issue, id: issue.id, key: issue.key, fields: { ...body.issue.fields, ...issue.fields } };
  return stampEvent(body);
}
