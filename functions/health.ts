// GET /api/health (anonymous): ok/degraded and which part, nothing more: no account, tenant id, site id, count or
// error text. 200 when healthy, 503 when a part is degraded (monitors alert on the status). The detail behind a
// "degraded" is at GET /api/manage/health (function key; functions/adminHealth.ts). When the app refused its
// configuration, the answer names the setting (never its value).
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { ConfigError, loadConfig } from '../shared/config.js';
import { createLogger, invocationSink } from '../shared/log.js';
import { getRuntime } from '../shared/runtime.js';
import { healthOrConfigurationReport } from '../shared/health/health.js';
import { answer } from './lib/http.js';

// Start-up check, once per worker: a refused configuration (an unresolved Key Vault reference, no KEY_VAULT_URI
// in Azure, a malformed value) is logged when the app loads, not only when the first job fails. It never throws:
// a throwing import would unload every function of the bundle, this one included.
try {
  loadConfig();
} catch (e) {
  if (e instanceof ConfigError) createLogger(invocationSink).error('config.refused', { setting: e.setting, message: e.message });
}

export async function health(_request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const report = await healthOrConfigurationReport(getRuntime, 'public');
    return { status: report.status === 'ok' ? 200 : 503, body: report, headers: { 'cache-control': 'no-store' } };
  });
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
