// /api/manage/bookings/...: Bookings businesses the service user administers, and binding one to a JSM project.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { adminBookings as handle } from '../shared/bookings/admin.js';
import { intakeDeps } from '../shared/intake/deps.js';
import { getRuntime } from '../shared/runtime.js';
import { createWorkflowDeps } from '../shared/workflows/deps.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';
import { allMethods, answer } from './lib/http.js';

export async function adminBookings(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    if (isOutcome(parsed)) return parsed;
    return handle({ ...createWorkflowDeps(getRuntime()), onSettingsChanged: () => intakeDeps().settings.clear() }, parsed);
  });
}

app.http('adminBookings', { route: 'manage/bookings/{section?}/{id?}/{key?}', methods: [...allMethods], authLevel: 'function', handler: adminBookings });
