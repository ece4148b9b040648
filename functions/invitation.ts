// GET /api/invitation?token=…: opens a consent or service-user sign-in invitation (signed, expiring, single-use;
// made with POST /api/manage/invitations or in the console). The invitation is the authorisation: no key in links.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { openInvitation } from '../shared/identity/invitations.js';
import { pageOutcome } from '../shared/identity/pages.js';
import { methodNotAllowed, redirect } from '../shared/http/outcome.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';

export async function invitation(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    const r = await openInvitation(getRuntime(), request.query.get('token'));
    if (!r.ok) return pageOutcome(r.page);
    return redirect(r.url, { 'referrer-policy': 'no-referrer' });
  });
}

app.http('invitation', { route: 'invitation', methods: ['GET', 'POST', 'PUT', 'DELETE'], authLevel: 'anonymous', handler: invitation });
