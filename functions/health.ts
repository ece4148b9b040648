// GET /api/health (anonymous): ok/degraded and which part, nothing more: no account, tenant id, site id, count or
// error text. 200 when healthy, 503 when a part is degraded (monitors alert on the status). The detail behind a
// "degraded" is at GET /api/manage/health (function key; functions/adminHealth.ts).
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { getRuntime } from '../shared/runtime.js';
import { detailedHealth, publicHealth } from '../shared/health/health.js';
import { answer } from './lib/http.js';

export async function health(_request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const report = publicHealth(await detailedHealth(getRuntime()));
    return { status: report.status === 'ok' ? 200 : 503, body: report, headers: { 'cache-control': 'no-store' } };
  });
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
