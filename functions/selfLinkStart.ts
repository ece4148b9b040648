// GET /api/self-link/start?invitation=…: a person named in an issue's "could not be added" note links their Jira
// account to their Microsoft 365 account. Anonymous: the signed, expiring invitation is the authorisation.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { startSelfLink } from '../shared/people/selfLink.js';
import { pageOutcome } from '../shared/identity/pages.js';
import { redirect } from '../shared/http/outcome.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';

export async function selfLinkStart(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const started = await startSelfLink(getRuntime(), request.query.get('invitation'));
    if (!started.ok) return pageOutcome(started.page);
    return redirect(started.url);
  });
}

app.http('selfLinkStart', { route: 'self-link/start', methods: ['GET'], authLevel: 'anonymous', handler: selfLinkStart });
