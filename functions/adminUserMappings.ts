// /api/manage/user-mappings/{tenantId}[/{accountId}]: manual mappings, CSV import/export, unmapped people.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { adminUserMappings as handle } from '../shared/admin/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { allMethods, answer } from './lib/http.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminUserMappings(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

app.http('adminUserMappings', { route: 'manage/user-mappings/{tenantId}/{accountId?}', methods: [...allMethods], authLevel: 'function', handler: adminUserMappings });
