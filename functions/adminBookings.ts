// /api/manage/bookings/...: Bookings businesses the service user administers, and binding one to a JSM project.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminBookings as handle } from '../shared/bookings/admin.js';
import { intakeDeps } from '../shared/intake/deps.js';
import { getRuntime } from '../shared/runtime.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';

export async function adminBookings(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    if (isOutcome(parsed)) return parsed;
    return handle({ ...createWorkflowDeps(getRuntime()), onSettingsChanged: () => intakeDeps().settings.clear() }, parsed);
  });
}

manageHttp('adminBookings', 'manage/bookings/{section?}/{id?}/{key?}', adminBookings);
