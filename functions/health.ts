// GET /api/health: storage, secret store, configured features, service-user token freshness, poison backlogs.
// 200 when healthy, 503 when something needs attention (monitors alert on the status; the body says what).
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { getRuntime } from '../shared/runtime.js';
import { healthReport } from '../shared/health/health.js';
import { answer } from './lib/http.js';

export async function health(_request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const report = await healthReport(getRuntime());
    return { status: report.status === 'ok' ? 200 : 503, body: report, headers: { 'cache-control': 'no-store' } };
  });
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
