// /api/manage/sites/{siteId}/secrets/{webhook-secret|automation-token}: generate or rotate, shown once.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminSiteSecrets as handle } from '../shared/admin/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminSiteSecrets(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

manageHttp('adminSiteSecrets', 'manage/sites/{siteId}/secrets/{secretKind}', adminSiteSecrets);
