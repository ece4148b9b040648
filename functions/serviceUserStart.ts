// GET /api/service-user/start?tenant=&feature=[&login_hint=][&format=json]: signs a feature's service user in
// (authorization code + PKCE + offline_access). Also the re-authentication link the health endpoint shows.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { fail, methodNotAllowed } from '../shared/http/outcome.js';
import { startServiceUserSignIn } from '../shared/identity/serviceUserSignIn.js';
import { getRuntime } from '../shared/runtime.js';
import { allMethods, answer } from './lib/http.js';

export async function serviceUserStart(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    const q = request.query;
    const r = await startServiceUserSignIn(getRuntime(), { tenant: q.get('tenant'), feature: q.get('feature'), loginHint: q.get('login_hint') });
    if (!r.ok) return fail(r.status, r.code, r.message);
    if (q.get('format') === 'json') return { status: 200, body: { url: r.url } };
    return { status: 302, headers: { location: r.url, 'cache-control': 'no-store' } };
  });
}

app.http('serviceUserStart', { route: 'service-user/start', methods: [...allMethods], authLevel: 'function', handler: serviceUserStart });
