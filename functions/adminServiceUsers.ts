// /api/admin/service-users[/{tenantId}[/{feature}[/{action}]]]: service users per (tenant, feature): list,
// detail, remove (its token cache too), refresh now, resume parked jobs.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { parseJson } from '../shared/http/outcome.js';
import { adminServiceUsers as handle } from '../shared/identity/admin.js';
import { getRuntime } from '../shared/runtime.js';
import { allMethods, answer, toRawRequest } from './lib/http.js';

export async function adminServiceUsers(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const raw = await toRawRequest(request);
    let body: unknown;
    if (raw.body.length) {
      const parsed = parseJson(raw);
      if (!parsed.ok) return parsed.outcome;
      body = parsed.value;
    }
    const segments = [request.params.tenantId, request.params.feature, request.params.action].filter((s): s is string => !!s);
    return handle(getRuntime(), { method: raw.method, segments, query: request.query, body });
  });
}

app.http('adminServiceUsers', {
  route: 'admin/service-users/{tenantId?}/{feature?}/{action?}',
  methods: [...allMethods],
  authLevel: 'function',
  handler: adminServiceUsers,
});
