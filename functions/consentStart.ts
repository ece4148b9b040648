// GET /api/consent/start?tenant=&feature=&site=[&mode=app][&multiTenant=true][&format=json]: the admin-consent link for one feature.
// A Jira admin who is not a Microsoft admin asks for `format=json` and sends the `url` to one.
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { fail, methodNotAllowed } from '../shared/http/outcome.js';
import { startConsent } from '../shared/identity/consent.js';
import { getRuntime } from '../shared/runtime.js';
import { allMethods, answer } from './lib/http.js';

export async function consentStart(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    const q = request.query;
    const format = q.get('format');
    if (format !== null && format !== 'json' && format !== 'redirect') return fail(400, 'format_invalid', 'query parameter format must be "json" or "redirect"');
    const r = await startConsent(getRuntime(), { tenant: q.get('tenant'), feature: q.get('feature'), site: q.get('site'), mode: q.get('mode'), multiTenant: q.get('multiTenant') });
    if (!r.ok) return fail(r.status, r.code, r.message);
    if (format === 'json') return { status: 200, body: { url: r.url, expiresInSeconds: r.expiresInSeconds, tenantId: r.tenantId, multiTenant: r.multiTenant } };
    return { status: 302, headers: { location: r.url, 'cache-control': 'no-store' } };
  });
}

app.http('consentStart', { route: 'consent/start', methods: [...allMethods], authLevel: 'function', handler: consentStart });
