// /api/manage/service-users[/{tenantId}[/{feature}[/{action}]]]: service users per (tenant, feature): list,
// detail, remove (its token cache too), refresh now, resume parked jobs.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminServiceUsers as handle } from '../shared/identity/admin.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminServiceUsers(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    if (isOutcome(parsed)) return parsed;
    const segments = [request.params.tenantId, request.params.feature, request.params.action].filter((s): s is string => !!s);
    return handle(getRuntime(), { method: parsed.method, segments, query: request.query, body: parsed.body });
  });
}

manageHttp('adminServiceUsers', 'manage/service-users/{tenantId?}/{feature?}/{action?}', adminServiceUsers);
