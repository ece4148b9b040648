// Timer: queues a catch-up for every enabled mail source (mail → Jira), the safety net behind on-demand catch-ups,
// then deletes the bookkeeping rows past their retention (shared/mailIn/retention.ts).
import './lib/invocation.js';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { enqueueCatchUps } from '../shared/mailIn/ingest.js';
import { pruneMailInRecords } from '../shared/mailIn/retention.js';
import { getRuntime } from '../shared/runtime.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';

export async function mailInCatchUp(_timer: Timer, _context: InvocationContext): Promise<void> {
  const deps = createWorkflowDeps(getRuntime());
  await enqueueCatchUps(deps);
  await pruneMailInRecords(deps);
}

// Every 15 minutes: well inside Outlook's 10,000 requests per 10 minutes per mailbox (graph-contract §9).
app.timer('mailInCatchUp', { schedule: '0 */15 * * * *', handler: mailInCatchUp });
