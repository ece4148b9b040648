// /api/manage/mail-in/{siteId}[/{projectKey}[/test|/poll]]: a site's mail sources, a project's mail source (mail →
// Jira), its "test connection" and an on-demand catch-up. Logic in shared/mailIn/admin.ts.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminMailIn as handle } from '../shared/mailIn/admin.js';
import { getRuntime } from '../shared/runtime.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';

export async function adminMailIn(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(createWorkflowDeps(getRuntime()), parsed);
  });
}

manageHttp('adminMailIn', 'manage/mail-in/{siteId}/{projectKey?}/{action?}', adminMailIn);
