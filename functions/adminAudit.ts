// /api/manage/audit/{siteId}/{issueKey}: what every job did for an issue.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { adminAudit as handle } from '../shared/admin/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { allMethods, answer } from './lib/http.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminAudit(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

app.http('adminAudit', { route: 'manage/audit/{siteId}/{issueKey}', methods: [...allMethods], authLevel: 'function', handler: adminAudit });
