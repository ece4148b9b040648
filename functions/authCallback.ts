// GET /api/auth/callback: where Microsoft sends a person back after signing in: a service user (redeem the code,
// validate the account, store the token cache) or a self-link (store the Jira ⇄ Microsoft mapping). The state
// names the flow; each flow verifies its own state. Answers with a readable page.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { completeServiceUserSignIn } from '../shared/identity/serviceUserSignIn.js';
import { completeSelfLink, stateKind } from '../shared/people/selfLink.js';
import { pageOutcome } from '../shared/identity/pages.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';

export async function authCallback(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const page =
      stateKind(request.query.get('state')) === 'self-link'
        ? await completeSelfLink(getRuntime(), request.query)
        : (await completeServiceUserSignIn(getRuntime(), request.query)).page;
    return pageOutcome(page);
  });
}

app.http('authCallback', { route: 'auth/callback', methods: ['GET'], authLevel: 'anonymous', handler: authCallback });
