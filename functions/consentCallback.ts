// GET /api/consent/callback: where Microsoft's admin-consent page sends the admin back. Answers with a page a
// person can read, for success and for every error the identity platform returns.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { completeConsent } from '../shared/identity/consent.js';
import { renderPage } from '../shared/identity/pages.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';

export async function consentCallback(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const { page } = await completeConsent(getRuntime(), request.query);
    return { status: page.status, body: renderPage(page), headers: htmlHeaders };
  });
}

export const htmlHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The URL carried a state (and for sign-in, a code): keep it out of Referer headers.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
};

app.http('consentCallback', { route: 'consent/callback', methods: ['GET'], authLevel: 'anonymous', handler: consentCallback });
