// /api/manage/sites/{siteId}/projects/{projectKey}/chat-to-jira: per-chat subscription state (GET) and
// "subscribe every open chat of the project now" (POST).
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { adminChatToJira as handle } from '../shared/chatToJira/admin.js';
import { adminDeps } from '../shared/admin/deps.js';
import { allMethods, answer } from './lib/http.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';

export async function adminChatToJira(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    return isOutcome(parsed) ? parsed : handle(adminDeps(), parsed);
  });
}

app.http('adminChatToJira', {
  route: 'manage/sites/{siteId}/projects/{projectKey}/chat-to-jira',
  methods: [...allMethods],
  authLevel: 'function',
  handler: adminChatToJira,
});
