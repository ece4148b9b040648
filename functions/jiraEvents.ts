// POST /api/jira/events?site={siteId}: Jira admin webhooks. Verified, normalised, routed by the project's rules
// and enqueued; the work happens in eventJobs.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { acceptJiraWebhook } from '../shared/intake/intake.js';
import { intakeDeps } from '../shared/intake/deps.js';
import { allMethods, answer, toRawRequest } from './lib/http.js';

export async function jiraEvents(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => acceptJiraWebhook(await toRawRequest(request), intakeDeps()));
}

app.http('jiraEvents', { route: 'jira/events', methods: [...allMethods], authLevel: 'anonymous', handler: jiraEvents });
