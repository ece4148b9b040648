// GET /api/consent/callback: where Microsoft's admin-consent page sends the admin back. Answers with a page a
// person can read, for success and for every error the identity platform returns.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { completeConsent } from '../shared/identity/consent.js';
import { pageOutcome } from '../shared/identity/pages.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';

export async function consentCallback(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const { page } = await completeConsent(getRuntime(), request.query);
    return pageOutcome(page);
  });
}

app.http('consentCallback', { route: 'consent/callback', methods: ['GET'], authLevel: 'anonymous', handler: consentCallback });
