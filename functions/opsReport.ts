// Timer (OPS_REPORT_SCHEDULE, every 5 minutes by default): logs queue backlogs, poison counts and service-user states as lines the Azure alerts
// and the workbook read (shared/health/opsReport.ts says why they are needed).
import './lib/invocation.js';
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { runOpsReport } from '../shared/health/opsReport.js';
import { getRuntime } from '../shared/runtime.js';

export async function opsReport(_timer: Timer, _context: InvocationContext): Promise<void> {
  await runOpsReport(getRuntime());
}

// NCRONTAB from an app setting (Flex Consumption takes no TimeSpan schedules: ../shared/contracts/functions-host.md).
// The alerts look at 15-minute windows, so a 5-minute report leaves room for one missed run.
app.timer('opsReport', { schedule: '%OPS_REPORT_SCHEDULE%', handler: opsReport });
