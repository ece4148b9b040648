// /api/manage/tenants[/{tenantId}[/{action}]]: tenant connections (list per site, detail, disconnect, test
// connection, app-only vs delegated per feature) and PUT/DELETE /api/manage/tenants/app-credential.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminTenants as handle } from '../shared/identity/admin.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminTenants(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    if (isOutcome(parsed)) return parsed;
    const segments = [request.params.tenantId, request.params.action].filter((s): s is string => !!s);
    return handle(getRuntime(), { method: parsed.method, segments, query: request.query, body: parsed.body });
  });
}

manageHttp('adminTenants', 'manage/tenants/{tenantId?}/{action?}', adminTenants);
