// /api/manage/sites/{siteId}/projects/{projectKey}: project settings and rules.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminProjects as handle } from '../shared/admin/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminProjects(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

manageHttp('adminProjects', 'manage/sites/{siteId}/projects/{projectKey}', adminProjects);
