// POST /api/jira/automation/{action}?site={siteId}: Jira Automation "Send web request", one explicit action per
// call, authenticated with the site's automation token.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { acceptAutomation } from '../shared/intake/intake.js';
import { intakeDeps } from '../shared/intake/deps.js';
import { allMethods, answer, toRawRequest } from './lib/http.js';

export async function jiraAutomation(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => acceptAutomation(await toRawRequest(request), intakeDeps()));
}

app.http('jiraAutomation', { route: 'jira/automation/{action}', methods: [...allMethods], authLevel: 'anonymous', handler: jiraAutomation });
