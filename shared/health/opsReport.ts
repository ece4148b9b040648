// The opsReport timer's work: every few minutes, one log line per job queue (backlog, oldest message age, poison
// count) and one per service user (status, parked jobs). Application Insights cannot see queue lengths or table
// rows; these lines are what the poison, backlog and service-user alerts and the workbook query
// (bicep/queries/*.kql). Counting the poison queues (not the app's own "job.poisoned" lines) also covers the
// messages the Functions host moves there itself without running the function (../shared/contracts/
// functions-host.md, "Message has reached MaxDequeueCount").
import type { Runtime } from '../runtime.js';
import { ensureError } from '../errors.js';
import { summariseIdentityHealth } from '../identity/tokens.js';
import { collectQueueState } from './health.js';

export async function runOpsReport(deps: Pick<Runtime, 'queues' | 'clock' | 'log' | 'tables' | 'config' | 'secrets'>): Promise<void> {
  for (const q of await collectQueueState(deps)) {
    // warn when something waits for a person, so the line stands out in the portal's log view too.
    (q.poisonMessages !== 0 ? deps.log.warn : deps.log.info)('ops.queue', { ...q });
  }
  try {
    const identity = await summariseIdentityHealth(deps);
    for (const tenant of identity.tenants) {
      for (const [feature, health] of Object.entries(tenant.features)) {
        if (!health?.serviceUser) continue;
        const status = health.serviceUser.status;
        (status === 'active' ? deps.log.info : deps.log.warn)('ops.serviceUser', {
          tenantId: tenant.tenantId,
          feature,
          status,
          parkedJobs: health.parkedJobs,
          hoursSinceRefresh: health.serviceUser.hoursSinceRefresh,
          reauthPath: health.serviceUser.reauthPath,
        });
      }
    }
  } catch (e) {
    deps.log.error('ops.report-failed', { part: 'serviceUsers', error: ensureError(e) });
  }
}
