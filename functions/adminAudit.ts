// /api/manage/audit/{siteId}/{issueKey}: what every job did for an issue.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminAudit as handle } from '../shared/admin/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminAudit(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

manageHttp('adminAudit', 'manage/audit/{siteId}/{issueKey}', adminAudit);
