// GET /api/service-user/start?tenant=&feature=[&login_hint=][&format=json]: signs a feature's service user in
// (authorization code + PKCE + offline_access). Also the re-authentication link the health endpoint shows.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { answerServiceUserStart } from '../shared/identity/serviceUserSignIn.js';
import { getRuntime } from '../shared/runtime.js';
import { allMethods, answer } from './lib/http.js';

export async function serviceUserStart(request: HttpRequest, context: InvocationContext) {
  return answer(context, () => answerServiceUserStart(getRuntime(), request.method, request.query));
}

app.http('serviceUserStart', { route: 'service-user/start', methods: [...allMethods], authLevel: 'function', handler: serviceUserStart });
