// /api/manage/sites/{siteId}/projects/{projectKey}/chat-to-jira: per-chat subscription state (GET) and
// "subscribe every open chat of the project now" (POST).
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { adminChatToJira as handle } from '../shared/chatToJira/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { answer } from './lib/http.js';
import { manageHttp } from './lib/manage.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminChatToJira(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

// Through manageHttp like every admin route, so the console's session can reach it too.
manageHttp('adminChatToJira', 'manage/sites/{siteId}/projects/{projectKey}/chat-to-jira', adminChatToJira);
