// GET /api/manage/health (function key): the detail behind /api/health: per tenant and service user, queue
// backlog and oldest message age, poison counts, the newest poison messages and reachability. Same status code
// rule as /api/health.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { getRuntime } from '../shared/runtime.js';
import { healthOrConfigurationReport } from '../shared/health/health.js';
import { answer } from './lib/http.js';

export async function adminHealth(_request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const report = await healthOrConfigurationReport(getRuntime, 'detailed');
    return { status: report.status === 'ok' ? 200 : 503, body: report, headers: { 'cache-control': 'no-store' } };
  });
}

app.http('adminHealth', { route: 'manage/health', methods: ['GET'], authLevel: 'function', handler: adminHealth });
