// GET /api/self-link/start?invitation=…: a person named in an issue's "could not be added" note links their Jira
// account to their Microsoft 365 account. Anonymous: the signed, expiring invitation is the authorisation.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { startSelfLink } from '../shared/people/selfLink.js';
import { pageHeaders, renderPage } from '../shared/identity/pages.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';

export async function selfLinkStart(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const started = await startSelfLink(getRuntime(), request.query.get('invitation'));
    if (!started.ok) return { status: started.page.status, body: renderPage(started.page), headers: { ...pageHeaders } };
    return { status: 302, headers: { location: started.url, 'cache-control': 'no-store' } };
  });
}

app.http('selfLinkStart', { route: 'self-link/start', methods: ['GET'], authLevel: 'anonymous', handler: selfLinkStart });
