// GET /api/manage/health (function key): the detail behind /api/health: per tenant and service user, queue
// backlog and oldest message age, poison counts, the newest poison messages and reachability. Same status code
// rule as /api/health.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { methodNotAllowed } from '../shared/http/outcome.js';
import { getRuntime } from '../shared/runtime.js';
import { healthOrConfigurationReport } from '../shared/health/health.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';

export async function adminHealth(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    const report = await healthOrConfigurationReport(getRuntime, 'detailed');
    return { status: report.status === 'ok' ? 200 : 503, body: report, headers: { 'cache-control': 'no-store' } };
  });
}

// Registered like every manage route, so the console reaches the same detail with its session.
manageHttp('adminHealth', 'manage/health', adminHealth);
