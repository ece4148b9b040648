// GET /api/auth/callback: where Microsoft sends the service user back after signing in. Redeems the code,
// validates the account and stores the token cache; answers with a readable page.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { completeServiceUserSignIn } from '../shared/identity/serviceUserSignIn.js';
import { pageHeaders, renderPage } from '../shared/identity/pages.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';

export async function authCallback(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const { page } = await completeServiceUserSignIn(getRuntime(), request.query);
    return { status: page.status, body: renderPage(page), headers: { ...pageHeaders } };
  });
}

app.http('authCallback', { route: 'auth/callback', methods: ['GET'], authLevel: 'anonymous', handler: authCallback });
