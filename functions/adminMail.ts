// /api/manage/mail[/test]: the mail feature's status and "test connection" (sends a mail from the sender to itself).
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminMail as handle } from '../shared/mail/admin.js';
import { getRuntime } from '../shared/runtime.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';

export async function adminMail(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(createWorkflowDeps(getRuntime()), parsed);
  });
}

manageHttp('adminMail', 'manage/mail/{action?}', adminMail);
