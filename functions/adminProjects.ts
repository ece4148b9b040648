// /api/manage/sites/{siteId}/projects/{projectKey}: project settings and rules.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { adminProjects as handle } from '../shared/admin/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { allMethods, answer } from './lib/http.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminProjects(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

app.http('adminProjects', { route: 'manage/sites/{siteId}/projects/{projectKey}', methods: [...allMethods], authLevel: 'function', handler: adminProjects });
