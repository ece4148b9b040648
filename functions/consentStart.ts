// GET /api/consent/start?tenant=&feature=&site=[&mode=app][&multiTenant=true][&format=json]: the admin-consent link for one feature.
// A Jira admin who is not a Microsoft admin asks for `format=json` and sends the `url` to one.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { answerConsentStart } from '../shared/identity/consent.js';
import { getRuntime } from '../shared/runtime.js';
import { allMethods, answer } from './lib/http.js';

export async function consentStart(request: HttpRequest, context: InvocationContext) {
  return answer(context, () => answerConsentStart(getRuntime(), request.method, request.query));
}

app.http('consentStart', { route: 'consent/start', methods: [...allMethods], authLevel: 'function', handler: consentStart });
