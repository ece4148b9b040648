// GET /api/health: storage, secret store, configured features, service-user token freshness, poison backlogs.
// 200 when healthy, 503 when something needs attention (monitors alert on the status; the body says what), or
// when the app refused its configuration (the body names the setting, never its value).
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { ConfigError, loadConfig } from '../shared/config.js';
import { getRuntime } from '../shared/runtime.js';
import { healthOrConfigurationReport } from '../shared/health/health.js';
import { answer } from './lib/http.js';

// Start-up check, once per worker: a refused configuration (an unresolved Key Vault reference, no KEY_VAULT_URI
// in Azure, a malformed value) is logged when the app loads, not only when the first job fails. It never throws:
// a throwing import would unload every function of the bundle, this one included.
try {
  loadConfig();
} catch (e) {
  if (e instanceof ConfigError) console.error(JSON.stringify({ level: 'error', event: 'config.refused', setting: e.setting, message: e.message }));
}

export async function health(_request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const report = await healthOrConfigurationReport(getRuntime);
    return { status: report.status === 'ok' ? 200 : 503, body: report, headers: { 'cache-control': 'no-store' } };
  });
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
