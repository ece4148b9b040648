// /api/manage/user-mappings/{tenantId}[/{accountId}]: manual mappings, CSV import/export, unmapped people.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminUserMappings as handle } from '../shared/admin/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminUserMappings(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

manageHttp('adminUserMappings', 'manage/user-mappings/{tenantId}/{accountId?}', adminUserMappings);
