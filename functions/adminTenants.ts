// /api/admin/tenants[/{tenantId}[/{action}]]: tenant connections (list per site, detail, disconnect, test
// connection, app-only vs delegated per feature) and PUT/DELETE /api/admin/tenants/app-credential.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { parseJson } from '../shared/http/outcome.js';
import { adminTenants as handle } from '../shared/identity/admin.js';
import { getRuntime } from '../shared/runtime.js';
import { allMethods, answer, toRawRequest } from './lib/http.js';

export async function adminTenants(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const raw = await toRawRequest(request);
    let body: unknown;
    if (raw.body.length) {
      const parsed = parseJson(raw);
      if (!parsed.ok) return parsed.outcome;
      body = parsed.value;
    }
    const segments = [request.params.tenantId, request.params.action].filter((s): s is string => !!s);
    return handle(getRuntime(), { method: raw.method, segments, query: request.query, body });
  });
}

app.http('adminTenants', { route: 'admin/tenants/{tenantId?}/{action?}', methods: [...allMethods], authLevel: 'function', handler: adminTenants });
